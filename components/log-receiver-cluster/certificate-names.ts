import { X509Certificate } from "node:crypto";

import { splitCertificateChain } from "./pem";

/** A DNS host name: two or more labels of letters, digits and inner hyphens, lowercase. */
export const DNS_NAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * What a TLS client checks against the name it connects to: only the
 * subjectAltName DNS names (the subject common name is ignored when checking,
 * as browsers, Go and curl/OpenSSL with SANs do), and a wildcard only as the
 * whole leftmost label, standing for exactly one label (RFC 6125 §6.4.3).
 */
const TLS_NAME_CHECK = {
  subject: "never",
  wildcards: true,
  partialWildcards: false,
  multiLabelWildcards: false,
} as const;

/** The leaf certificate (first PEM block) of a bundle. */
function leafOf(pem: string): X509Certificate {
  return new X509Certificate(splitCertificateChain(pem).body);
}

/**
 * The DNS names in the leaf certificate's subjectAltName, in order.
 * @throws Error when the bundle holds no readable certificate.
 */
export function certificateDnsNames(pem: string): string[] {
  const san = leafOf(pem).subjectAltName ?? "";
  // Node writes "DNS:a.example.com, DNS:*.example.com, IP Address:…", quoting (JSON) names with
  // separators in them.
  return [...san.matchAll(/(?:^|, )DNS:("(?:[^"\\]|\\.)*"|[^,]*)/g)].map(([, name = ""]) =>
    name.startsWith('"') ? (JSON.parse(name) as string) : name,
  );
}

/**
 * Whether a client connecting to `host` accepts the bundle's leaf
 * certificate by name (see {@link TLS_NAME_CHECK}); node's X509 name check is
 * OpenSSL's, the one Fluent Bit and fluentd use.
 */
export function certificateCovers(pem: string, host: string): boolean {
  return leafOf(pem).checkHost(host, TLS_NAME_CHECK) !== undefined;
}

/**
 * Why agents connecting to `host` would refuse this certificate, or
 * undefined when its name checks out. Lists the names it does cover.
 */
export function certificateNameProblem(pem: string, host: string): string | undefined {
  let names: string[];
  try {
    names = certificateDnsNames(pem);
    if (certificateCovers(pem, host)) return undefined;
  } catch (error) {
    return `the certificate cannot be read (${(error as Error).message})`;
  }
  if (names.length === 0) {
    return `the certificate names no DNS name in its subjectAltName (clients ignore the subject's common name), so it covers no host name, ${host} included`;
  }
  return `the certificate covers ${names.join(", ")}, not ${host} (a wildcard stands for exactly one label)`;
}
