import assert from "node:assert/strict";
import { compareSequenceNumbers } from "../../../../apps/access-log-transformer/src/keys";
import { decodeRecordData, lineText } from "../../../../apps/access-log-transformer/src/records";
import { forwarderEvents, RECORDS_PER_EVENT } from "../fluentd";
import { generateAccessLog } from "../generate";

describe("benchmark fluentd events", () => {
  const lines = generateAccessLog(1_234, 3).map((g) => g.line);

  for (const form of ["fluentd", "fluent-bit"] as const) {
    it(`${form}: one line per record, base64, in events of ${RECORDS_PER_EVENT}, sequence numbers ascending`, () => {
      const events = forwarderEvents(lines, form);
      assert.deepEqual(
        events.map((records) => records.length),
        [RECORDS_PER_EVENT, RECORDS_PER_EVENT, lines.length - 2 * RECORDS_PER_EVENT],
      );
      const records = events.flat();
      const decoded = records.map((record, i) =>
        decodeRecordData(Buffer.from(record.kinesis.data, "base64"), i).map(lineText),
      );
      assert.deepEqual(
        decoded,
        lines.map((line) => [line]),
      );
      for (let i = 1; i < records.length; i++) {
        assert.ok(
          compareSequenceNumbers(records[i - 1]!.kinesis.sequenceNumber, records[i]!.kinesis.sequenceNumber) <
            0,
        );
      }
      const sample = JSON.parse(Buffer.from(records[0]!.kinesis.data, "base64").toString()) as object;
      assert.deepEqual(Object.keys(sample), form === "fluentd" ? ["log"] : ["log", "stream", "time"]);
    });
  }
});
