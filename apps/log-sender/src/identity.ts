import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import type { FileIdentity } from "./batch";

/** Leading bytes hashed into a file's fingerprint. */
export const FINGERPRINT_BYTES = 1024;

/** An open file as the sender sees it: who it is, its first bytes and its size. */
export interface FileSnapshot {
  readonly identity: FileIdentity;
  /** Up to FINGERPRINT_BYTES leading bytes, to check fingerprints recorded with fewer bytes. */
  readonly prefix: Buffer;
  readonly size: number;
}

/** A recorded file (saved offset, spooled batch); dev and fingerprint are missing in state of older versions. */
export interface RecordedFile {
  readonly dev?: number;
  readonly ino: number;
  readonly fingerprintBytes?: number;
  readonly fingerprint?: string;
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Stats an open file and fingerprints its first bytes. */
export async function snapshot(handle: FileHandle): Promise<FileSnapshot> {
  const { dev, ino, size } = await handle.stat();
  const prefix = Buffer.alloc(Math.min(size, FINGERPRINT_BYTES));
  const { bytesRead } = await handle.read(prefix, 0, prefix.length, 0);
  const read = prefix.subarray(0, bytesRead);
  return {
    identity: { dev, ino, fingerprintBytes: read.length, fingerprint: sha256(read) },
    prefix: read,
    size,
  };
}

/**
 * True when `recorded` is the file now open: same device and inode, and its
 * first bytes still hash to the recorded fingerprint (an inode is reused once
 * a file is deleted; a new file at the old inode starts with other bytes).
 * A fingerprint taken while the file was shorter is checked over that many
 * bytes; fields older state lacks are not checked.
 */
export function sameFile(
  recorded: RecordedFile,
  current: Pick<FileSnapshot, "identity" | "prefix">,
): boolean {
  if (recorded.ino !== current.identity.ino) return false;
  if (recorded.dev !== undefined && recorded.dev !== current.identity.dev) return false;
  if (recorded.fingerprint === undefined || recorded.fingerprintBytes === undefined) return true;
  if (current.prefix.length < recorded.fingerprintBytes) return false;
  return sha256(current.prefix.subarray(0, recorded.fingerprintBytes)) === recorded.fingerprint;
}
