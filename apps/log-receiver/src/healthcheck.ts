import http from "node:http";
import https from "node:https";

/**
 * Docker HEALTHCHECK for the distroless image (no shell, no curl): GET
 * /healthz on the local port, exit 0 on 200, 1 otherwise. With TLS_CERT set
 * the receiver serves HTTPS with a certificate that does not name 127.0.0.1,
 * so the check skips verification — it only talks to loopback.
 */
function check(): void {
  const port = Number(process.env.PORT ?? 8080);
  const tls = process.env.TLS_CERT !== undefined && process.env.TLS_CERT !== "";
  const request = (tls ? https : http).get(
    { host: "127.0.0.1", port, path: "/healthz", timeout: 3_000, rejectUnauthorized: false },
    (res) => {
      res.resume();
      process.exitCode = res.statusCode === 200 ? 0 : 1;
    },
  );
  request.on("timeout", () => request.destroy(new Error("timed out")));
  request.on("error", (error) => {
    process.stderr.write(`healthcheck failed: ${error.message}\n`);
    process.exitCode = 1;
  });
}

check();
