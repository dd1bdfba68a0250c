/**
 * Policy pack of the platform: `pulumi preview --policy-pack policy`.
 * The rules live in rules.ts and also run offline in `npm test`; each is a
 * mandatory policy and an advisory twin (policies.ts).
 */
import { PolicyPack } from "@pulumi/policy";

import { policies } from "./policies";

new PolicyPack("log-platform-security", { policies });
