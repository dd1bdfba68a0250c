const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Splits a PEM bundle (as `fullchain.pem` from most CAs) into the leaf
 * certificate and the chain, the two fields ACM's import takes separately.
 */
export function splitCertificateChain(pem: string): { body: string; chain?: string } {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error("the TLS certificate contains no PEM CERTIFICATE block");
  const [body, ...chain] = blocks;
  return chain.length > 0 ? { body: body!, chain: chain.join("\n") } : { body: body! };
}
