/**
 * `npm start`: until the local platform runs, shows what the dev stack would
 * deploy (the offline plan of Pulumi.dev.yaml).
 */
import { plan, planTree } from "./plan";

plan("dev")
  .then((result) => console.log(planTree(result)))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
