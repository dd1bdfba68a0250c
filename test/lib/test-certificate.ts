/**
 * Self-signed X.509 certificates for tests and the offline plan, made
 * synchronously with node:crypto (ECDSA P-256): a certificate is a small DER
 * structure, signed. Only what TLS name checks read is filled in: the subject
 * common name and the subjectAltName DNS names.
 */
import { X509Certificate, generateKeyPairSync, randomBytes, sign } from "node:crypto";

/** DER tag-length-value. */
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const length: number[] = [];
  for (let n = body.length; n > 0; n >>= 8) length.unshift(n & 0xff);
  const header = body.length < 0x80 ? [body.length] : [0x80 | length.length, ...length];
  return Buffer.concat([Buffer.from([tag, ...header]), body]);
}

const sequence = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts);

function objectId(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const base128: number[] = [];
    for (let n = arc; ; n = Math.floor(n / 128)) {
      base128.unshift((n % 128) | (base128.length > 0 ? 0x80 : 0));
      if (n < 128) break;
    }
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime, which RFC 5280 requires for dates before 2050. */
function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
  return tlv(0x17, Buffer.from(text, "ascii"));
}

const ECDSA_WITH_SHA256 = sequence(objectId("1.2.840.10045.4.3.2"));

export interface TestCertificate {
  /** PEM of the certificate. */
  readonly certificatePem: string;
  /** PEM (PKCS #8) of its private key. */
  readonly privateKeyPem: string;
}

/**
 * A self-signed certificate naming `dnsNames` in its subjectAltName (none:
 * no subjectAltName extension at all) and `commonName` as its subject.
 */
export function selfSignedCertificate(
  dnsNames: readonly string[],
  commonName = dnsNames[0] ?? "test",
): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const name = sequence(tlv(0x31, sequence(objectId("2.5.4.3"), tlv(0x0c, Buffer.from(commonName)))));
  const serial = randomBytes(16);
  // A positive INTEGER in minimal DER form: a leading 0x00 followed by a byte
  // below 0x80 is not DER, and OpenSSL then fails to read the certificate
  // (1 run in about 256 did), so the first byte is kept in 0x40–0x7f.
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  const extensions =
    dnsNames.length === 0
      ? []
      : [
          tlv(
            0xa3,
            sequence(
              sequence(
                objectId("2.5.29.17"),
                tlv(0x04, sequence(...dnsNames.map((dns) => tlv(0x82, Buffer.from(dns, "ascii"))))),
              ),
            ),
          ),
        ];
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // version 3
    tlv(0x02, serial),
    ECDSA_WITH_SHA256,
    name,
    sequence(utcTime(new Date("2020-01-01T00:00:00Z")), utcTime(new Date("2049-12-31T23:59:59Z"))),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    ...extensions,
  );
  const signature = sign("sha256", tbs, privateKey);
  const der = sequence(tbs, ECDSA_WITH_SHA256, tlv(0x03, Buffer.from([0]), signature));
  const certificatePem = new X509Certificate(der).toString();
  return {
    certificatePem,
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}
