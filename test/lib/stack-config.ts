import { PROJECT } from "../../stacks/settings";
import type { SecretKey } from "../../stacks/settings-schema";
import { REQUIRED_IN_PROD, SECRET_KEYS } from "../../stacks/settings-schema";
import type { StackConfig } from "./mocks";
import { readStackFile } from "./mocks";

export interface OfflineStackConfig extends StackConfig {
  /** Secret keys given a stand-in value because they cannot be decrypted (or are absent) offline. */
  readonly placeholders: readonly string[];
}

function placeholderFor(fullKey: string): string {
  const key = fullKey.slice(PROJECT.length + 1) as SecretKey;
  return SECRET_KEYS[key]?.placeholder ?? "[placeholder]";
}

/**
 * The stack's real settings file, with stand-ins for what only the Pulumi
 * CLI can supply: `secure:` values (encrypted with the stack's key) and, for
 * prod, the secrets a real stack must have set.
 */
export function offlineStackConfig(stack: string): OfflineStackConfig {
  const { config, secureKeys } = readStackFile(stack);
  const placeholders = [...secureKeys];
  if (config[`${PROJECT}:environment`] === "prod") {
    for (const key of REQUIRED_IN_PROD) {
      const fullKey = `${PROJECT}:${key}`;
      if (!placeholders.includes(fullKey)) placeholders.push(fullKey);
    }
  }
  const withPlaceholders = { ...config };
  for (const fullKey of placeholders) withPlaceholders[fullKey] = placeholderFor(fullKey);
  return { config: withPlaceholders, secretKeys: placeholders, placeholders };
}
