/**
 * `npm start`: the platform on this machine, on loopback only — kinesalite,
 * s3rver, fauxqs, the HTTPS log receiver, the access-log transformer, the
 * log indexer (writing what it would index to the archive's
 * `opensearch-preview/`, as it does without OpenSearch) and the CloudTrail
 * indexer — with the commands to send it logs and CloudTrail files.
 * Every app traces (OpenTelemetry, OTLP/HTTP JSON) to a local stand-in for
 * the collector on 127.0.0.1:4318 (another free port when that one is taken),
 * unless OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT
 * already names one (a local collector or Jaeger, say).
 * Ctrl-C stops everything.
 */
import type { OtlpStandIn } from "./local/otlp-stand-in";
import { startOtlpStandIn } from "./local/otlp-stand-in";
import { startLocalPlatform } from "./local/platform";

/** The standard OTLP/HTTP port, where the collector would listen. */
const OTLP_HTTP_PORT = 4318;

/** The stand-in on 4318, or on a free port when something else has 4318. */
async function standInOnLoopback(): Promise<OtlpStandIn> {
  try {
    return await startOtlpStandIn({ port: OTLP_HTTP_PORT });
  } catch (error) {
    if ((error as { code?: string }).code !== "EADDRINUSE") throw error;
    return startOtlpStandIn();
  }
}

async function main(): Promise<void> {
  console.log(
    "starting the local platform (kinesalite, s3rver, fauxqs, log receiver, access-log transformer, log indexer, CloudTrail indexer)…",
  );
  const external = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const standIn = external === undefined ? await standInOnLoopback() : undefined;
  const platform = await startLocalPlatform({
    receiverPort: Number(process.env.RECEIVER_PORT ?? 8443),
    tracingEnv:
      standIn === undefined
        ? process.env
        : { ...process.env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: standIn.tracesUrl },
  });
  const traces =
    standIn === undefined
      ? `${external ?? ""}  (your collector: OTEL_EXPORTER_OTLP_*ENDPOINT is set)`
      : `${standIn.tracesUrl}  (local OTLP stand-in: span counts every 10 s, the latest trees on Ctrl-C)`;
  const sender = "npm run --silent sender --";
  console.log(`
log receiver   ${platform.receiverUrl}   (self-signed certificate: ${platform.caFile})
ingest token   ${platform.token}
kinesis        ${platform.kinesisEndpoint}  stream "${platform.streamName}"
s3             ${platform.s3Endpoint}  bucket "${platform.bucket}"  (files under ${platform.dataDir}/s3)
sqs + sns      ${platform.sqsEndpoint}  (fauxqs)
traces         ${traces}
cloudtrail     bucket "${platform.trailBucket}" → ${platform.topicArn}
               → ${platform.queueUrl} (DLQ ${platform.deadLetterQueueUrl}) → CloudTrail indexer

Send logs (another terminal):
  export LOG_SENDER_TOKEN=${platform.token}
  ${sender} send /var/log/nginx/access.log --url ${platform.receiverUrl} --ca ${platform.caFile}
  ${sender} load --rate 2000 --duration 10 --url ${platform.receiverUrl} --ca ${platform.caFile}
  curl --cacert ${platform.caFile} -H "Authorization: Bearer $LOG_SENDER_TOKEN" --data-binary @access.log ${platform.receiverUrl}

nginx access lines appear as JSON under access/…, unparsable ones under access-errors/…

Every line is also indexed by the log indexer. No OpenSearch runs here, so the documents it would index
land in "${platform.bucket}" under ${platform.previewPrefix}<index>/<hash>.ndjson, one {"_id","_op","_source"} per line:
  ${platform.previewPrefix}logs-local-YYYY.MM.DD/   every line (token "local"), JSON lines with their fields
  ${platform.previewPrefix}access-YYYY.MM.DD/       lines that parse as nginx access logs
  on disk: ${platform.dataDir}/s3/${platform.bucket}/${platform.previewPrefix}
  e.g. printf '%s\\n' '{"level":"error","msg":"disk full","host":"pc-17"}' 'Mar 10 06:00:00 pc-17 sshd[42]: Accepted publickey for alice' > try.log
       ${sender} send try.log --url ${platform.receiverUrl} --ca ${platform.caFile}
       grep -rh -e "disk full" -e "Accepted publickey" ${platform.dataDir}/s3/${platform.bucket}/${platform.previewPrefix}
Lines that cannot be indexed go to logs-failed/…

Drop a CloudTrail log file into the trail bucket (AWSLogs/…/CloudTrail/…json.gz):
  npx ts-node --transpile-only scripts/local/put-cloudtrail-sample.ts --endpoint ${platform.s3Endpoint}
its events appear one per line under cloudtrail-events/year=…/month=…/day=…/ in "${platform.bucket}",
records that cannot be indexed under cloudtrail-failed/, files that keep failing in the DLQ.

Ctrl-C to stop.
`);
  const report = setInterval(() => {
    const { invocations, records, retries, deadLettered } = platform.eventSource.stats;
    console.log(
      `transformer: ${records} records in ${invocations} batches, ${retries} retries, ${deadLettered} dead-lettered`,
    );
    const indexer = platform.logIndexerEventSource.stats;
    const documents = platform.previewWrites.reduce((sum, write) => sum + write.documents, 0);
    const last = platform.previewWrites.at(-1);
    console.log(
      `log indexer: ${indexer.records} records in ${indexer.invocations} batches, ${indexer.retries} retries, ` +
        `${documents} documents in ${platform.previewWrites.length} preview objects` +
        (last === undefined ? "" : ` (latest s3://${platform.bucket}/${last.key})`),
    );
    const cloudTrail = platform.cloudTrailEventSource.stats;
    console.log(
      `cloudtrail indexer: ${cloudTrail.messages} messages in ${cloudTrail.invocations} batches, ${cloudTrail.failed} failed deliveries`,
    );
    if (standIn !== undefined) console.log(`traces: ${standIn.summary()}`);
  }, 10_000);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearInterval(report);
    console.log("\nstopping…");
    platform
      .close()
      .then(() => {
        if (standIn === undefined) return;
        console.log(`traces: ${standIn.summary()}`);
        const latest = latestTraces(standIn, 3);
        if (latest !== "") console.log(`latest traces:\n${latest}`);
        return standIn.close();
      })
      .then(() => console.log("stopped"))
      .catch((error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      });
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/** The span trees of the `count` traces that started last. */
function latestTraces(standIn: OtlpStandIn, count: number): string {
  const starts = new Map<string, bigint>();
  for (const span of standIn.spans) {
    const start = starts.get(span.traceId);
    if (start === undefined || span.startNs < start) starts.set(span.traceId, span.startNs);
  }
  return [...starts]
    .sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0))
    .slice(0, count)
    .map(([traceId]) => standIn.tree(traceId))
    .join("\n");
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
