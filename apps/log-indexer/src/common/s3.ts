/** The one S3 call of the log indexer: writing an object to the archive bucket. */
import { PutObjectCommand } from "@aws-sdk/client-s3";

/** The part of an S3 client the handlers use (an `S3Client` fits; tests pass a fake or a local S3). */
export interface ObjectWriter {
  send(command: PutObjectCommand): Promise<unknown>;
}

/** Writes `body` to `s3://bucket/key` (overwriting: keys are deterministic, so a retry rewrites the same object). */
export async function putObject(
  writer: ObjectWriter,
  bucket: string,
  key: string,
  body: Buffer | string,
  contentType: string,
): Promise<void> {
  await writer.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
}
