/** What the three log-indexer handlers share: configuration, output, failed records, logging, metrics. */
export * from "./config";
export * from "./failed";
export * from "./index-batch";
export * from "./logger";
export * from "./metrics";
export * from "./output";
export * from "./preview-sink";
export * from "./retry";
export * from "./s3";
