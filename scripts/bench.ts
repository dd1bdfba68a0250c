/**
 * `npm run bench [-- NAME…]`: runs the benchmarks under scripts/bench/<name>/
 * one after the other (they measure single-core throughput, so never in
 * parallel) and prints their figures. With names, runs only those.
 */
import * as fs from "node:fs";
import * as path from "node:path";

interface Benchmark {
  run(): Promise<void>;
}

async function main(): Promise<void> {
  const root = path.join(__dirname, "bench");
  const available = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(root, entry.name, "index.ts")))
    .map((entry) => entry.name)
    .sort();
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark(s): ${unknown.join(", ")}; available: ${available.join(", ")}`);
  }
  for (const name of wanted.length > 0 ? wanted : available) {
    console.log(`\n=== ${name} ===`);
    const started = Date.now();
    const benchmark = (await import(path.join(root, name, "index.ts"))) as Benchmark;
    await benchmark.run();
    console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
