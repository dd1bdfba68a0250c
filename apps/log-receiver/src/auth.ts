import { createHash, timingSafeEqual } from "node:crypto";
import { HttpError } from "./errors";
import type { IngestToken } from "./options";

/** Resolves an `Authorization` header to the name of the token it carries. */
export type Authenticator = (authorization: string | undefined) => string;

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="log-receiver"' };

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/**
 * Builds an authenticator over a set of named tokens. Tokens are compared as
 * SHA-256 digests with `timingSafeEqual`: equal-length inputs, so neither the
 * token's content nor its length leaks through timing. Every token is compared
 * (no early exit), so which token matched does not leak either.
 * @throws HttpError 401 (with `WWW-Authenticate: Bearer`) for a missing, malformed or unknown token.
 */
export function createAuthenticator(tokens: readonly IngestToken[]): Authenticator {
  const known = tokens.map((t) => ({ name: t.name, digest: digest(t.token) }));
  return (authorization) => {
    if (authorization === undefined) {
      throw new HttpError(
        401,
        "missing_token",
        "Authorization: Bearer <token> header is required",
        CHALLENGE,
      );
    }
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    if (match === null) {
      throw new HttpError(401, "bad_token", "Authorization header must be 'Bearer <token>'", CHALLENGE);
    }
    const presented = digest(match[1] as string);
    let name: string | undefined;
    for (const candidate of known) {
      if (timingSafeEqual(presented, candidate.digest) && name === undefined) name = candidate.name;
    }
    if (name === undefined) throw new HttpError(401, "bad_token", "Token is not valid", CHALLENGE);
    return name;
  };
}
