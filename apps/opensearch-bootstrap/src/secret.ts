/**
 * Reads the admin user's name and password from Secrets Manager with one SigV4-signed
 * `GetSecretValue` call. The Lambda runtime has no Secrets Manager client in
 * this package's dependencies, and one JSON call does not justify adding one.
 */
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { NodeSha256 } from "../../lib/signed-http";

/** Where and as whom {@link readSecretCredentials} asks. */
export interface SecretSource {
  /** ARN of the secret, whose value is JSON `{"username": …, "password": …}`. */
  readonly secretArn: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Default `https://secretsmanager.<region>.amazonaws.com` (tests: a loopback fake). */
  readonly endpoint?: string;
}

/** The admin user's sign-in, as the program stores it in the secret. */
export interface UserCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * The `username` and `password` fields of a secret's JSON value.
 *
 * @throws Error naming the secret (never its value) when it is not JSON with non-empty strings for both.
 */
export function credentialsFromSecretString(secretArn: string, secretString: string): UserCredentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new Error(`Secret ${secretArn} is not JSON`);
  }
  const { username, password } = (parsed ?? {}) as { username?: unknown; password?: unknown };
  for (const [field, value] of [
    ["username", username],
    ["password", password],
  ] as const) {
    if (typeof value !== "string" || value === "")
      throw new Error(`Secret ${secretArn} has no "${field}" string`);
  }
  return { username: username as string, password: password as string };
}

/** The AWS error type of a JSON error body (`__type`), or the start of a body that is not one. */
function errorType(text: string): string {
  try {
    const type = (JSON.parse(text) as { __type?: unknown } | null)?.__type;
    if (typeof type === "string") return type;
  } catch {
    // Not JSON: a proxy or load balancer answered; its text says more than nothing.
  }
  return text.slice(0, 200);
}

/**
 * Fetches the secret and returns the user name and password in it.
 *
 * @throws Error with the status and AWS error type when the call fails.
 */
export async function readSecretCredentials(source: SecretSource): Promise<UserCredentials> {
  const url = new URL(source.endpoint ?? `https://secretsmanager.${source.region}.amazonaws.com`);
  const body = JSON.stringify({ SecretId: source.secretArn });
  const signer = new SignatureV4({
    credentials: source.credentials,
    region: source.region,
    service: "secretsmanager",
    sha256: NodeSha256,
  });
  const signed = await signer.sign({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port === "" ? {} : { port: Number(url.port) }),
    path: "/",
    headers: {
      host: url.host,
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "secretsmanager.GetSecretValue",
    },
    body,
  });
  // fetch derives Host from the URL (the same value that was signed) and does not accept it as a header.
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name !== "host"));
  const response = await fetch(new URL("/", url), { method: "POST", headers, body });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`GetSecretValue ${source.secretArn} answered ${response.status}: ${errorType(text)}`);
  }
  const value = (JSON.parse(text) as { SecretString?: unknown }).SecretString;
  if (typeof value !== "string") throw new Error(`Secret ${source.secretArn} has no SecretString`);
  return credentialsFromSecretString(source.secretArn, value);
}
