/**
 * Policy pack of the platform: `pulumi preview --policy-pack policy`.
 * The rules live in rules.ts and also run offline in `npm test`.
 */
import { PolicyPack } from "@pulumi/policy";

import { policies } from "./policies";

new PolicyPack("log-platform-security", { policies });
