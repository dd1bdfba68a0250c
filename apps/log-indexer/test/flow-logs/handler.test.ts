import assert from "node:assert/strict";
import { FakeOpenSearch } from "../../../cloudtrail-indexer/test/fake-opensearch";
import { IndexingRefusedError, RetriesExhaustedError } from "../../../lib/opensearch/indexer";
import type { SearchFigures } from "../../src/common";
import { retryPolicy } from "../../src/common";
import type { FlowLogHandler, FlowLogHandlerOptions } from "../../src/flow-logs/handler";
import { createFlowLogHandler, readFlowLogEnv } from "../../src/flow-logs/handler";
import { DEFAULT_FLOW_LOG_FORMAT, parseLogFormat } from "../../src/flow-logs/format";
import { FakeWriter } from "../common/fake-writer";
import {
  ACCEPT_LINE,
  CONTROL_MESSAGE,
  NODATA_LINE,
  REJECT_LINE,
  dataMessage,
  eventId,
  subscriptionEvent,
} from "./fixtures";

const BUCKET = "archive-bucket";
/** Failed object of a payload from {@link dataMessage}: day of its first event, named by its id. */
const FAILED_KEY = `vpcflow-failed/year=2014/month=12/day=14/${eventId(0)}.json.gz`;

interface Setup {
  readonly fake: FakeOpenSearch;
  readonly writer: FakeWriter;
  readonly figures: SearchFigures[];
  readonly handler: FlowLogHandler;
}

function setup(overrides: Partial<FlowLogHandlerOptions> = {}, fake = new FakeOpenSearch()): Setup {
  const writer = new FakeWriter();
  const figures: SearchFigures[] = [];
  const handler = createFlowLogHandler({
    writer,
    sink: fake.sink(),
    archiveBucket: BUCKET,
    failedPrefix: "vpcflow-failed/",
    format: parseLogFormat(DEFAULT_FLOW_LOG_FORMAT),
    retry: retryPolicy({ sleep: () => Promise.resolve(), random: () => 0, maxAttempts: 3 }),
    bulkMaxBytes: 64 * 1024,
    metrics: (f) => figures.push(f),
    ...overrides,
  });
  return { fake, writer, figures, handler };
}

describe("flow-logs handler", () => {
  it("indexes every record once by event id, also when the event is delivered again", async () => {
    const { fake, writer, figures, handler } = setup();
    const event = subscriptionEvent(dataMessage([ACCEPT_LINE, REJECT_LINE, NODATA_LINE]));
    await handler(event);
    await handler(event);
    assert.deepEqual(
      [...fake.created.entries()],
      [0, 1, 2].map((i) => [eventId(i), 1]),
    );
    assert.equal(fake.itemStatuses.get(201), 3);
    assert.equal(fake.itemStatuses.get(409), 3);
    assert.equal(fake.docs.get(eventId(2))?.index, "vpcflow-2015.05.10");
    assert.equal(fake.docs.get(eventId(2))?.source.log_status, "NODATA");
    assert.equal(fake.docs.get(eventId(1))?.source.action, "REJECT");
    // 409 is "already there": both invocations count every record as indexed.
    assert.deepEqual(figures, [
      { indexed: 3, failedRecords: 0, retriedItems: 0 },
      { indexed: 3, failedRecords: 0, retriedItems: 0 },
    ]);
    assert.equal(writer.puts, 0);
  });

  it("counts a lost acknowledgement's 409 on the retry as done", async () => {
    const fake = new FakeOpenSearch({ lostAck: new Set([eventId(0)]) });
    const { figures, handler } = setup({}, fake);
    await handler(subscriptionEvent(dataMessage([ACCEPT_LINE])));
    assert.equal(fake.created.get(eventId(0)), 1);
    assert.equal(fake.itemStatuses.get(409), 1);
    assert.deepEqual(figures, [{ indexed: 1, failedRecords: 0, retriedItems: 0 }]);
  });

  it("writes document errors and unparseable lines to the failed prefix and indexes the rest", async () => {
    const fake = new FakeOpenSearch({ reject: new Set([eventId(1)]) });
    const { writer, figures, handler } = setup({}, fake);
    await handler(
      subscriptionEvent(dataMessage(["2 123456789010 eni-1 truncated", REJECT_LINE, ACCEPT_LINE])),
    );
    assert.deepEqual([...fake.created.keys()], [eventId(2)]);
    assert.deepEqual([...writer.objects.keys()], [FAILED_KEY]);
    const source = { logGroup: "/log-platform/dev/vpc-flow-logs", logStream: "eni-1235b8ca123456789-all" };
    assert.deepEqual(writer.lines(FAILED_KEY), [
      {
        reason: "expected 14 space-separated values (the flow log format), got 4",
        id: eventId(0),
        source: { ...source, timestamp: 1418530080000 },
        line: "2 123456789010 eni-1 truncated",
      },
      {
        reason: "mapper_parsing_exception: failed to parse field [eventTime] of type [date]",
        status: 400,
        index: "vpcflow-2014.12.14",
        id: eventId(1),
        source: { ...source, timestamp: 1418530080001 },
        line: REJECT_LINE,
      },
    ]);
    assert.deepEqual(figures, [{ indexed: 1, failedRecords: 2, retriedItems: 0 }]);

    // Redelivered: the same object is rewritten, not a second one added.
    await handler(
      subscriptionEvent(dataMessage(["2 123456789010 eni-1 truncated", REJECT_LINE, ACCEPT_LINE])),
    );
    assert.deepEqual([...writer.objects.keys()], [FAILED_KEY]);
    assert.equal(fake.created.get(eventId(2)), 1);
  });

  for (const fault of [403, "write-block"] as const) {
    it(`throws when the domain refuses writes (${fault}), writing nothing to the failed prefix`, async () => {
      const fake = new FakeOpenSearch({ outage: fault });
      const { writer, figures, handler } = setup({}, fake);
      await assert.rejects(
        handler(subscriptionEvent(dataMessage(["bad line", ACCEPT_LINE]))),
        (error: unknown) => error instanceof IndexingRefusedError && error.status === 403,
      );
      assert.equal(writer.puts, 0);
      assert.equal(fake.docs.size, 0);
      assert.deepEqual(figures, [{ indexed: 0, failedRecords: 0, retriedItems: 2 }]);
    });
  }

  it("throws when 429s outlast the retry budget, and indexes once when retried later", async () => {
    const fake = new FakeOpenSearch({ throttle: new Map([[eventId(1), 3]]) });
    const { handler } = setup({}, fake);
    const event = subscriptionEvent(dataMessage([ACCEPT_LINE, REJECT_LINE]));
    await assert.rejects(handler(event), RetriesExhaustedError);
    assert.equal(fake.created.get(eventId(0)), 1);
    assert.equal(fake.created.get(eventId(1)), undefined);
    // Lambda's async retry delivers the same event again.
    await handler(event);
    assert.deepEqual([...fake.created.values()], [1, 1]);
  });

  it("throws when the bootstrap fails, before sending anything", async () => {
    const { fake, handler } = setup({ bootstrap: () => Promise.reject(new Error("template refused")) });
    await assert.rejects(handler(subscriptionEvent(dataMessage([ACCEPT_LINE]))), /template refused/);
    assert.deepEqual(fake.requestStatuses, []);
  });

  it("runs the bootstrap before indexing", async () => {
    const calls: string[] = [];
    const fake = new FakeOpenSearch();
    const sink = fake.sink();
    const { handler } = setup(
      {
        bootstrap: () => Promise.resolve(calls.push("bootstrap")),
        sink: { bulk: (body) => (calls.push("bulk"), sink.bulk(body)) },
      },
      fake,
    );
    await handler(subscriptionEvent(dataMessage([ACCEPT_LINE])));
    assert.deepEqual(calls, ["bootstrap", "bulk"]);
  });

  it("throws when the failed object cannot be written", async () => {
    const { writer, handler } = setup();
    writer.failWith = new Error("AccessDenied");
    await assert.rejects(handler(subscriptionEvent(dataMessage(["bad line"]))), /AccessDenied/);
  });

  it("indexes nothing for a CONTROL_MESSAGE", async () => {
    const { fake, writer, figures, handler } = setup();
    await handler(subscriptionEvent(CONTROL_MESSAGE));
    assert.deepEqual(fake.requestStatuses, []);
    assert.equal(writer.puts, 0);
    assert.deepEqual(figures, []);
  });

  it("keeps a payload that cannot be decoded, as received, and does not ask for a retry", async () => {
    const { fake, writer, figures, handler } = setup();
    await handler({ awslogs: { data: Buffer.from("not gzip").toString("base64") } });
    assert.deepEqual(fake.requestStatuses, []);
    const [key] = [...writer.objects.keys()];
    assert.match(
      key ?? "",
      /^vpcflow-failed\/year=\d{4}\/month=\d{2}\/day=\d{2}\/undecodable-[0-9a-f]{64}\.json\.gz$/,
    );
    const [entry] = writer.lines(key ?? "") as { reason: string; line: string; encoding: string }[];
    assert.match(entry?.reason ?? "", /^awslogs.data is not gzip/);
    assert.equal(Buffer.from(entry?.line ?? "", "base64").toString(), "not gzip");
    assert.equal(entry?.encoding, "base64");
    assert.deepEqual(figures, [{ indexed: 0, failedRecords: 1, retriedItems: 0 }]);
  });

  it("parses the configured format: a v5 flow log's records", async () => {
    const format = parseLogFormat("${version} ${srcaddr} ${pkt-srcaddr} ${start} ${flow-direction}");
    const { fake, handler } = setup({ format });
    await handler(subscriptionEvent(dataMessage(["5 10.0.0.5 203.0.113.7 1700000000 ingress"])));
    assert.deepEqual(fake.docs.get(eventId(0)), {
      index: "vpcflow-2023.11.14",
      source: {
        "@timestamp": "2023-11-14T22:13:20.000Z",
        version: 5,
        srcaddr: "10.0.0.5",
        pkt_srcaddr: "203.0.113.7",
        start: "2023-11-14T22:13:20.000Z",
        flow_direction: "ingress",
        log_group: "/log-platform/dev/vpc-flow-logs",
        log_stream: "eni-1235b8ca123456789-all",
      },
    });
  });

  describe("readFlowLogEnv", () => {
    const required = { AWS_REGION: "eu-west-1", ARCHIVE_BUCKET: "archive-bucket" };

    it("defaults to AWS's v2 format, 14 days and vpcflow-failed/", () => {
      const config = readFlowLogEnv(required);
      assert.equal(config.format.source, DEFAULT_FLOW_LOG_FORMAT);
      assert.equal(config.retentionDays, 14);
      assert.equal(config.failedPrefix, "vpcflow-failed/");
      assert.equal(config.openSearch, undefined);
    });

    it("reads FLOW_LOG_FORMAT and RETENTION_DAYS", () => {
      const config = readFlowLogEnv({
        ...required,
        FLOW_LOG_FORMAT: "${srcaddr} ${action}",
        RETENTION_DAYS: "90",
      });
      assert.deepEqual(
        config.format.fields.map((f) => f.key),
        ["srcaddr", "action"],
      );
      assert.equal(config.retentionDays, 90);
    });

    it("lists an unknown flow log field with every other problem", () => {
      assert.throws(
        () => readFlowLogEnv({ FLOW_LOG_FORMAT: "${srcaddr} ${src-address}", RETENTION_DAYS: "0" }),
        (error: unknown) => {
          const message = (error as Error).message;
          assert.match(message, /^log-indexer flow-logs configuration is invalid:/);
          assert.match(message, /ARCHIVE_BUCKET is required/);
          assert.match(message, /AWS_REGION is required/);
          assert.match(message, /RETENTION_DAYS must be an integer from 1 to 36500/);
          assert.match(message, /FLOW_LOG_FORMAT: unknown field: src-address \(known fields: version, /);
          return true;
        },
      );
    });
  });
});
