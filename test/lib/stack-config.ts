import { PROJECT } from "../../stacks/settings";
import type { SecretKey } from "../../stacks/settings-schema";
import { REQUIRED_IN_PROD, SECRET_KEYS } from "../../stacks/settings-schema";
import type { StackConfig } from "./mocks";
import { readStackFile } from "./mocks";
import type { TestCertificate } from "./test-certificate";
import { selfSignedCertificate } from "./test-certificate";

export interface OfflineStackConfig extends StackConfig {
  /** Secret keys given a stand-in value because they cannot be decrypted (or are absent) offline. */
  readonly placeholders: readonly string[];
}

/**
 * A stand-in for one secret. The endpoint certificate must be a real one for
 * the stack's receiver.domainName (settings check that it covers the name),
 * so certificate and key are a pair made for that name, whatever it is.
 */
function placeholderFor(fullKey: string, endpointPair: () => TestCertificate): string {
  const key = fullKey.slice(PROJECT.length + 1) as SecretKey;
  if (key === "receiverTlsCertificate") return endpointPair().certificatePem;
  if (key === "receiverTlsPrivateKey") return endpointPair().privateKeyPem;
  return SECRET_KEYS[key]?.placeholder ?? "[placeholder]";
}

/** receiver.domainName of a stack file's config, when it names one. */
function endpointDomainName(config: Record<string, string>): string | undefined {
  try {
    const receiver = JSON.parse(config[`${PROJECT}:receiver`] ?? "{}") as { domainName?: unknown };
    return typeof receiver.domainName === "string" ? receiver.domainName : undefined;
  } catch {
    return undefined; // not JSON: the settings report that themselves
  }
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
  let pair: TestCertificate | undefined;
  const endpointPair = (): TestCertificate =>
    (pair ??= selfSignedCertificate([endpointDomainName(config) ?? "placeholder.invalid"]));
  for (const fullKey of placeholders) withPlaceholders[fullKey] = placeholderFor(fullKey, endpointPair);
  return { config: withPlaceholders, secretKeys: placeholders, placeholders };
}
