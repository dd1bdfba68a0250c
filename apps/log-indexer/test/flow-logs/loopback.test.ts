import assert from "node:assert/strict";
import type { FakeServer } from "../../../cloudtrail-indexer/test/fake-opensearch";
import { FakeOpenSearch, startFakeServer } from "../../../cloudtrail-indexer/test/fake-opensearch";
import { ensureIndexFamily, once } from "../../../lib/opensearch/index-family";
import { openSearchBulkSink } from "../../../lib/opensearch/sink";
import type { ClosableTransport } from "../../../lib/signed-http";
import { createOpenSearchTransport } from "../../../lib/signed-http";
import { retryPolicy } from "../../src/common";
import { vpcflowFamily } from "../../src/flow-logs/family";
import { DEFAULT_FLOW_LOG_FORMAT, parseLogFormat } from "../../src/flow-logs/format";
import { createFlowLogHandler } from "../../src/flow-logs/handler";
import { FakeWriter } from "../common/fake-writer";
import { ACCEPT_LINE, NODATA_LINE, REJECT_LINE, dataMessage, eventId, subscriptionEvent } from "./fixtures";

describe("flow-logs handler over loopback HTTP", () => {
  let fake: FakeOpenSearch;
  let server: FakeServer;
  let transport: ClosableTransport;

  beforeEach(async () => {
    fake = new FakeOpenSearch();
    server = await startFakeServer(fake);
    transport = createOpenSearchTransport({
      endpoint: server.url,
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    });
  });

  afterEach(async () => {
    transport.close();
    await server.close();
  });

  it("installs the template once, then indexes each record exactly once across redelivery and a 413 split", async () => {
    const handler = createFlowLogHandler({
      writer: new FakeWriter(),
      sink: openSearchBulkSink(transport),
      bootstrap: once(() => ensureIndexFamily(transport, vpcflowFamily(14), 0)),
      archiveBucket: "archive-bucket",
      failedPrefix: "vpcflow-failed/",
      format: parseLogFormat(DEFAULT_FLOW_LOG_FORMAT),
      retry: retryPolicy({ sleep: () => Promise.resolve(), random: () => 0 }),
      bulkMaxBytes: 64 * 1024,
    });
    const lines = Array.from(
      { length: 60 },
      (_, i) => [ACCEPT_LINE, REJECT_LINE, NODATA_LINE][i % 3] as string,
    );
    const event = subscriptionEvent(dataMessage(lines));
    // The first body is refused as too large once: the indexer halves it.
    fake.faults.tooLarge = { overBytes: 4096, times: 1 };
    await handler(event);
    await handler(event);
    assert.equal(fake.docs.size, 60);
    assert.ok([...fake.created.values()].every((n) => n === 1));
    assert.equal(fake.itemStatuses.get(409), 60);
    assert.ok(fake.requestStatuses.includes(413));
    assert.equal(fake.docs.get(eventId(59))?.index, "vpcflow-2015.05.10");
    assert.equal(fake.log.filter((line) => line === "PUT /_index_template/vpcflow").length, 1);
    assert.ok(fake.templates.has("vpcflow"));
  });
});
