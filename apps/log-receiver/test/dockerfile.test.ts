import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { runtimeStatus } from "../../../policy/lambda-runtimes";
import type { IngestEnvelope } from "../../lib/ingest-record";
import { TOKENS, auth, request } from "./helpers";
import type { LocalKinesis } from "./kinesalite";
import { startKinesalite } from "./kinesalite";

const ROOT = path.resolve(__dirname, "../../..");
const DOCKERFILE = fs.readFileSync(path.join(__dirname, "../Dockerfile"), "utf8");
const run = promisify(execFile);

/** Dockerfile instructions with line continuations joined and comments dropped. */
function instructions(): string[] {
  return DOCKERFILE.replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe("log-receiver container image", () => {
  it("is multi-stage, pins its bases, runs as non-root with a HEALTHCHECK and exec-form CMD", () => {
    const lines = instructions();
    const froms = lines.filter((l) => /^FROM /i.test(l));
    assert.ok(froms.length >= 2, "multi-stage build");
    for (const from of froms) {
      const image = from.split(/\s+/)[1] ?? "";
      assert.match(image, /:[^/]+$|@sha256:/, `${image} must carry a tag or digest`);
      assert.doesNotMatch(image, /:latest\b/, `${image} must not use latest`);
    }
    const final = lines.slice(lines.lastIndexOf(froms[froms.length - 1] ?? ""));
    // Node 24 in both stages, the build stage pinned to a release. Distroless builds its Node images
    // only on Debian 13 since Feb 2026 (https://github.com/GoogleContainerTools/distroless#what-images-are-available).
    const build = /^FROM node:(\d+)\.\d+\.\d+-bookworm AS build$/.exec(froms[0] ?? "");
    const runtime = /^FROM gcr\.io\/distroless\/nodejs(\d+)-debian13:nonroot$/.exec(
      froms[froms.length - 1] ?? "",
    );
    assert.ok(build?.[1] !== undefined, `build stage ${froms[0]}`);
    assert.equal(runtime?.[1], build[1], "the addon runs on the Node major it was built with");
    // Lambda deprecates a Node runtime at that line's upstream end of life
    // (https://docs.aws.amazon.com/lambda/latest/dg/runtime-support-policy.html), so its table
    // also says when this image's Node line stops getting patches: fail from that day on.
    assert.match(
      runtimeStatus(`nodejs${build[1]}.x`, new Date()).state,
      /^(supported|deprecating)$/,
      `Node ${build[1]} is past its end of life or not in policy/lambda-runtimes.ts`,
    );
    const users = final.filter((l) => /^USER /i.test(l));
    assert.equal(users.length, 1);
    assert.doesNotMatch(users[0] ?? "", /^USER\s+(root|0)(:|$)/i);
    assert.ok(
      final.some((l) => /^HEALTHCHECK .*CMD \[/.test(l)),
      "HEALTHCHECK in exec form",
    );
    assert.ok(
      final.some((l) => /^CMD \[/.test(l)),
      "CMD in exec form",
    );
    assert.ok(!lines.some((l) => /^ADD /i.test(l)), "COPY only, no ADD");
  });

  describe("bundle built by the Dockerfile's own esbuild command", function () {
    let out = "";
    let kinesis: LocalKinesis | undefined;
    let child: ChildProcess | undefined;
    before(async function () {
      out = fs.mkdtempSync(path.join(os.tmpdir(), "log-receiver-bundle-"));
      const command = instructions().find((l) => l.startsWith("RUN npx esbuild "));
      assert.ok(command !== undefined, "Dockerfile builds with esbuild");
      const args = command
        .slice("RUN npx esbuild ".length)
        .split(/\s+/)
        .map((a) => (a.startsWith("--outdir=") ? `--outdir=${out}` : a));
      await run(path.join(ROOT, "node_modules/.bin/esbuild"), args, { cwd: ROOT });
      // The image puts the native addon beside the bundle; do what its RUN line does.
      const native = /^RUN npm run build:native && cp (\S+) \/out\/$/.exec(
        instructions().find((l) => l.startsWith("RUN npm run build:native")) ?? "",
      );
      assert.ok(native?.[1] !== undefined, "Dockerfile builds the native addon and copies it to /out/");
      fs.copyFileSync(path.join(ROOT, native[1]), path.join(out, path.basename(native[1])));
      kinesis = await startKinesalite();
      await kinesis.createStream("ingest", 1);
    });
    after(async () => {
      child?.kill("SIGKILL");
      await kinesis?.close();
      fs.rmSync(out, { recursive: true, force: true });
    });

    it("starts from its environment, passes its healthcheck, stores a line and stops on SIGTERM", async () => {
      assert.ok(kinesis !== undefined);
      const port = await freePort();
      const env = {
        PATH: process.env.PATH,
        PORT: String(port),
        HOST: "127.0.0.1",
        STREAM_NAME: "ingest",
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local",
        KINESIS_ENDPOINT: kinesis.endpoint,
        TOKENS: JSON.stringify(TOKENS),
        LOG_LEVEL: "warn",
      };
      const started = spawn(process.execPath, [path.join(out, "main.js")], {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      child = started;
      let output = "";
      started.stdout.on("data", (c: Buffer) => (output += c.toString()));
      started.stderr.on("data", (c: Buffer) => (output += c.toString()));
      const exited = new Promise<number | null>((resolve) => started.once("exit", (code) => resolve(code)));

      const healthcheck = (): Promise<number | null> =>
        new Promise((resolve) => {
          spawn(process.execPath, [path.join(out, "healthcheck.js")], { env, stdio: "ignore" }).once(
            "exit",
            resolve,
          );
        });
      let healthy = false;
      for (let i = 0; i < 100 && !healthy; i++) {
        healthy = (await healthcheck()) === 0;
        if (!healthy) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(healthy, `healthcheck never passed; receiver output:\n${output}`);

      const reply = await request(`http://127.0.0.1:${port}`, { headers: auth(), body: "from the bundle" });
      assert.equal(reply.status, 200, reply.text);
      started.kill("SIGTERM");
      assert.equal(await exited, 0, output);
      assert.ok(!output.includes(TOKENS[0]?.token ?? "?"), "tokens never logged");
      assert.ok(!output.includes("native encoder unavailable"), `the bundle loads the addon:\n${output}`);
      const stored = (await kinesis.readAll("ingest")).map((d) => JSON.parse(d.toString()) as IngestEnvelope);
      assert.deepEqual(
        stored.map((e) => [e.message, e.source]),
        [["from the bundle", "office-pcs"]],
      );
    });
  });
});
