import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { SubscriptionDecodeError, decodeSubscriptionData, flowLogItems } from "../../src/flow-logs/decode";
import { DEFAULT_FLOW_LOG_FORMAT, parseLogFormat } from "../../src/flow-logs/format";
import { ACCEPT_LINE, CONTROL_MESSAGE, NODATA_LINE, dataMessage, encode, eventId } from "./fixtures";

const V2 = parseLogFormat(DEFAULT_FLOW_LOG_FORMAT);

describe("flow-logs decode", () => {
  it("decodes a gzip base64 subscription payload", () => {
    const message = dataMessage([ACCEPT_LINE, NODATA_LINE]);
    assert.deepEqual(decodeSubscriptionData(encode(message)), message);
  });

  it("turns each log event into a create item of the day of its start, _id = event id", () => {
    const { items, unparseable } = flowLogItems(
      decodeSubscriptionData(encode(dataMessage([ACCEPT_LINE]))),
      V2,
    );
    assert.deepEqual(unparseable, []);
    assert.equal(items.length, 1);
    const [item] = items;
    assert.equal(item?.op, "create");
    assert.equal(item?.index, "vpcflow-2014.12.14");
    assert.equal(item?.id, eventId(0));
    assert.equal(item?.action, `{"create":{"_index":"vpcflow-2014.12.14","_id":"${eventId(0)}"}}`);
    const document = JSON.parse(item?.document ?? "") as Record<string, unknown>;
    assert.equal(document["@timestamp"], "2014-12-14T04:06:50.000Z");
    assert.equal(document.srcaddr, "172.31.16.139");
    assert.equal(document.log_group, "/log-platform/dev/vpc-flow-logs");
    assert.equal(document.log_stream, "eni-1235b8ca123456789-all");
    assert.deepEqual(item?.payload, {
      id: eventId(0),
      logGroup: "/log-platform/dev/vpc-flow-logs",
      logStream: "eni-1235b8ca123456789-all",
      timestamp: 1418530080000,
      line: ACCEPT_LINE,
    });
  });

  it("dates a record without start by its event timestamp", () => {
    const format = parseLogFormat("${interface-id} ${log-status}");
    const message = dataMessage(["eni-1 NODATA"], Date.UTC(2026, 11, 3, 23, 59, 59, 500));
    const { items } = flowLogItems(decodeSubscriptionData(encode(message)), format);
    assert.equal(items[0]?.index, "vpcflow-2026.12.03");
    assert.deepEqual(JSON.parse(items[0]?.document ?? ""), {
      "@timestamp": "2026-12-03T23:59:59.500Z",
      interface_id: "eni-1",
      log_status: "NODATA",
      log_group: "/log-platform/dev/vpc-flow-logs",
      log_stream: "eni-1235b8ca123456789-all",
    });
  });

  it("keeps unparseable lines with their reason and payload, next to the good ones", () => {
    const { items, unparseable } = flowLogItems(
      decodeSubscriptionData(encode(dataMessage(["garbage", ACCEPT_LINE]))),
      V2,
    );
    assert.deepEqual(
      items.map((item) => item.id),
      [eventId(1)],
    );
    assert.equal(unparseable.length, 1);
    assert.equal(unparseable[0]?.payload.line, "garbage");
    assert.equal(unparseable[0]?.payload.id, eventId(0));
    assert.match(unparseable[0]?.reason ?? "", /expected 14 space-separated values/);
  });

  it("finds nothing to index in a CONTROL_MESSAGE", () => {
    const payload = decodeSubscriptionData(encode(CONTROL_MESSAGE));
    assert.equal(payload.messageType, "CONTROL_MESSAGE");
    assert.deepEqual(flowLogItems(payload, V2), { items: [], unparseable: [] });
  });

  it("says which step of the decoding failed", () => {
    const decodeError = (data: string): string => {
      try {
        decodeSubscriptionData(data);
      } catch (error) {
        assert.ok(error instanceof SubscriptionDecodeError);
        return error.message;
      }
      return assert.fail("expected a SubscriptionDecodeError");
    };
    assert.equal(decodeError("not base64!"), "awslogs.data is not base64");
    assert.equal(decodeError(""), "awslogs.data is not base64");
    assert.match(decodeError(Buffer.from("plain").toString("base64")), /^awslogs.data is not gzip: /);
    assert.match(decodeError(gzipSync("{").toString("base64")), /^awslogs.data is not JSON: /);
    assert.equal(decodeError(encode([1])), "awslogs.data is not a JSON object");
    assert.equal(
      decodeError(
        encode({ messageType: "OTHER", owner: 1, logGroup: "g", logStream: "s", logEvents: [{ id: 1 }] }),
      ),
      'awslogs.data: owner is not a string; messageType "OTHER" is neither DATA_MESSAGE nor CONTROL_MESSAGE; logEvents[0] is not { id, timestamp, message }',
    );
  });
});
