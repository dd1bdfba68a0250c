/**
 * Deterministic generator of realistic nginx `combined` lines for the
 * access-log benchmark: mostly IPv4, some IPv6, real user agents and
 * referrers, a few nginx-escaped values, 400s with non-request request fields,
 * and about 1% malformed lines. Seeded, so every run parses the same input.
 */

/** One generated line and whether a correct combined parser must reject it. */
export interface GeneratedLine {
  readonly line: string;
  readonly malformed: boolean;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const METHODS = ["GET", "GET", "GET", "GET", "POST", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"];
const PATHS = [
  "/",
  "/index.html",
  "/api/v1/orders",
  "/api/v1/orders/8f14e45f-ceea-467f-a8f4-8b3b0c1e2d3a",
  "/static/js/app.3f9a1c.js",
  "/static/css/main.css",
  "/images/logo.png",
  "/search",
  "/login",
  "/favicon.ico",
  "/health",
  "/wp-login.php",
];
const QUERIES = [
  "",
  "",
  "",
  "?page=2",
  "?q=winter+boots&sort=price",
  "?utm_source=newsletter&utm_medium=email",
];
const PROTOCOLS = ["HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/2.0", "HTTP/1.0"];
const STATUSES = [200, 200, 200, 200, 200, 200, 304, 301, 302, 404, 404, 403, 500, 502, 499];
const REFERRERS = [
  "-",
  "-",
  "https://www.example.com/",
  "https://www.google.com/",
  "https://shop.example.com/cart?step=2",
  "android-app://com.google.android.gm/",
];
const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
  "curl/8.4.0",
  "Googlebot/2.1 (+http://www.google.com/bot.html)",
  "python-requests/2.31.0",
  "-",
];
/** nginx writes `"` as \x22 and non-ASCII bytes as \xNN; about 2% of user agents carry such escapes. */
const ESCAPED_USER_AGENTS = [
  "Mozilla/5.0 (compatible; \\x22QuotedBot\\x22/1.0)",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) \\xE2\\x80\\x94 Mobile",
];
const USERS = ["-", "-", "-", "-", "-", "-", "-", "alice", "bob"];

/** mulberry32: small, fast, and good enough to vary benchmark input reproducibly. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Generates `count` lines starting at 2024-03-10T06:00:00 local time (+0100),
 * about 40 requests per second, so lines span several hour partitions.
 */
export function generateAccessLog(count: number, seed = 1): GeneratedLine[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const octet = (): number => Math.floor(next() * 256);
  const hex = (): string => Math.floor(next() * 65536).toString(16);
  const pad = (n: number): string => String(n).padStart(2, "0");
  const start = Date.UTC(2024, 2, 10, 5, 0, 0);
  const lines: GeneratedLine[] = [];
  for (let i = 0; i < count; i++) {
    const roll = next();
    const address =
      roll < 0.8
        ? `${octet()}.${octet()}.${octet()}.${octet()}`
        : roll < 0.9
          ? `2001:db8:${hex()}:${hex()}::${hex()}`
          : roll < 0.95
            ? `::ffff:10.${octet()}.${octet()}.${octet()}`
            : `2001:0db8:85a3:0000:0000:8a2e:0370:${hex()}`;
    // Shift to +0100 local time, which is what the log shows.
    const local = new Date(start + Math.floor(i * 25) + 3_600_000);
    const timelocal =
      `${pad(local.getUTCDate())}/${MONTHS[local.getUTCMonth()]}/${local.getUTCFullYear()}:` +
      `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} +0100`;
    const kind = next();
    let request: string;
    let status = pick(STATUSES);
    if (kind < 0.003) {
      request = "-";
      status = 400;
    } else if (kind < 0.005) {
      request = "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03";
      status = 400;
    } else if (kind < 0.006) {
      request = `GET ${pick(PATHS)}`;
    } else {
      request = `${pick(METHODS)} ${pick(PATHS)}${pick(QUERIES)} ${pick(PROTOCOLS)}`;
    }
    const bytes = status === 304 ? 0 : Math.floor(next() * 50_000);
    const line =
      `${address} - ${pick(USERS)} [${timelocal}] "${request}" ${status} ${bytes} ` +
      `"${pick(REFERRERS)}" "${next() < 0.02 ? pick(ESCAPED_USER_AGENTS) : pick(USER_AGENTS)}"`;
    const corruption = next();
    if (corruption < 0.004) lines.push({ line: line.slice(0, Math.floor(line.length / 2)), malformed: true });
    else if (corruption < 0.007) lines.push({ line: line.replace(" - ", " "), malformed: true });
    else if (corruption < 0.01) lines.push({ line: `${line} trailing`, malformed: true });
    else lines.push({ line, malformed: false });
  }
  return lines;
}
