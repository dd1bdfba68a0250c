/** Subscription payloads shaped like CloudWatch Logs delivers them to a Lambda (AWS's examples, flow-log lines). */
import type { CloudWatchLogsEvent } from "aws-lambda";
import { gzipSync } from "node:zlib";

/** An accepted SSH flow (AWS's v2 example). */
export const ACCEPT_LINE =
  "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
/** A rejected RDP probe. */
export const REJECT_LINE =
  "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK";
/** No traffic in the capture window. */
export const NODATA_LINE =
  "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA";

/** A log event id as CloudWatch Logs writes them (56 digits), distinct per `n`. */
export const eventId = (n: number): string =>
  `3195310660696698337880902507980421114328961542429822${String(n).padStart(4, "0")}`;

/** The decoded `awslogs.data` of a DATA_MESSAGE from the flow-log group. */
export function dataMessage(messages: readonly string[], timestamp = 1418530080000): Record<string, unknown> {
  return {
    messageType: "DATA_MESSAGE",
    owner: "123456789010",
    logGroup: "/log-platform/dev/vpc-flow-logs",
    logStream: "eni-1235b8ca123456789-all",
    subscriptionFilters: ["log-platform-dev-flow-logs-search"],
    logEvents: messages.map((message, i) => ({ id: eventId(i), timestamp: timestamp + i, message })),
  };
}

/** The message CloudWatch Logs sends when the subscription is created (AWS's example). */
export const CONTROL_MESSAGE = {
  messageType: "CONTROL_MESSAGE",
  owner: "CloudwatchLogs",
  logGroup: "",
  logStream: "",
  subscriptionFilters: [],
  logEvents: [
    {
      id: "",
      timestamp: 1432826855000,
      message: "CWL CONTROL MESSAGE: Checking health of destination Firehose.",
    },
  ],
};

/** `value` encoded as `awslogs.data`: JSON, gzip, base64. */
export const encode = (value: unknown): string => gzipSync(JSON.stringify(value)).toString("base64");

/** A Lambda event of the subscription filter. */
export const subscriptionEvent = (value: unknown): CloudWatchLogsEvent => ({
  awslogs: { data: encode(value) },
});
