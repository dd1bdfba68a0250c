import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Batch, FileIdentity, Origin } from "./batch";
import type { FileSnapshot, RecordedFile } from "./identity";
import { sameFile } from "./identity";

/** A batch waiting in the spool. */
export interface SpoolEntry {
  readonly file: string;
  readonly id: string;
  readonly lines: number;
  readonly bytes: number;
  readonly origin?: Origin;
  /** Receiver the batch is for; absent in batches spooled by older versions (sent to any). */
  readonly url?: string;
}

/** Saved read position of one file for one receiver. */
export interface OffsetRecord extends RecordedFile {
  readonly url: string;
  /** Path the file was last read under (informational: files are matched by identity). */
  readonly path: string;
  readonly offset: number;
  readonly savedAt: string;
}

/** offsets.json, version 2. Version 1 was `{ "<path>": { ino, offset } }`. */
interface OffsetsFile {
  readonly version: 2;
  readonly files: OffsetRecord[];
}

type Header = Omit<SpoolEntry, "file">;

/** Another live process holds the spool. */
export class SpoolLockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SpoolLockedError";
  }
}

/** Offsets of files not read for a long time are dropped beyond this many records. */
const MAX_OFFSET_RECORDS = 10_000;

/**
 * The on-disk spool. Every batch is written here (fsync + atomic rename)
 * before it is sent and removed only after the receiver answered 200, so a
 * batch survives receiver outages and sender restarts, and a retry sends the
 * very same bytes with the same id.
 *
 * One process at a time: `lock` holds the owner's pid. State is per receiver
 * URL: a run sends only the batches spooled for its URL and resumes files
 * from the offsets saved for its URL, so the same file sent to another
 * receiver is sent in full.
 *
 * Layout of `dir`:
 * - `lock`: `{ pid, host, startedAt }` of the process using the spool.
 * - `batches/<seq>-<id>.batch`: 4-byte big-endian header length, JSON header
 *   ({@link SpoolEntry} without `file`), then the gzip body.
 * - `rejected/<seq>-<id>.ndjson.gz` + `.reason.json`: batches the receiver
 *   refused for good (kept, never deleted, with the reason).
 * - `offsets.json`: read positions ({@link OffsetsFile}), per receiver URL and
 *   file identity (device, inode, fingerprint of the first bytes).
 */
export class Spool {
  private readonly all: SpoolEntry[];
  private offsets: OffsetRecord[];
  private seq: number;
  private offsetWrite: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    /** Receiver URL this run sends to. */
    readonly url: string,
    private readonly lockFile: string,
    entries: SpoolEntry[],
    offsets: OffsetRecord[],
  ) {
    this.all = entries;
    this.offsets = offsets;
    this.seq = entries.reduce((max, e) => Math.max(max, Number(path.basename(e.file).split("-")[0])), 0);
  }

  /**
   * Locks (creating if needed) a spool directory for a run sending to `url`
   * and loads what earlier runs left.
   * @throws SpoolLockedError when another live process uses the spool.
   */
  static async open(dir: string, url: string): Promise<Spool> {
    const batches = path.join(dir, "batches");
    await fs.mkdir(batches, { recursive: true });
    await fs.mkdir(path.join(dir, "rejected"), { recursive: true });
    const lockFile = await acquireLock(dir);
    try {
      const names = (await fs.readdir(batches)).sort();
      const entries: SpoolEntry[] = [];
      for (const name of names) {
        const file = path.join(batches, name);
        // Half-written files of a crashed run: their lines were never marked as read.
        if (name.startsWith(".tmp-")) await fs.rm(file, { force: true });
        else if (name.endsWith(".batch")) entries.push({ file, ...(await readHeader(file)) });
      }
      for (const name of await fs.readdir(dir)) {
        if (!name.startsWith(".tmp-")) continue;
        const temp = path.join(dir, name);
        // A fresh .tmp-lock-* is another process trying to take the lock right now: leave it.
        if (name.startsWith(".tmp-lock-")) {
          const age = Date.now() - (await fs.stat(temp).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
          if (age < 60_000) continue;
        }
        await fs.rm(temp, { force: true });
      }
      return new Spool(dir, url, lockFile, entries, await readOffsets(dir, url));
    } catch (error) {
      await fs.rm(lockFile, { force: true });
      throw error;
    }
  }

  /** Releases the lock (after the last write). */
  async close(): Promise<void> {
    await this.offsetWrite.catch(() => undefined);
    await fs.rm(this.lockFile, { force: true });
  }

  /** Batches waiting for this run's receiver (including the ones being sent). */
  get depth(): number {
    return this.entries().length;
  }

  /** Batches spooled for other receivers (left alone). */
  get otherDepth(): number {
    return this.all.length - this.depth;
  }

  /** The entries waiting for this run's receiver, oldest first. */
  entries(): readonly SpoolEntry[] {
    return this.all.filter((e) => e.url === undefined || e.url === this.url);
  }

  /** Writes a batch durably and queues it. */
  async add(batch: Batch): Promise<SpoolEntry> {
    this.seq++;
    const header: Header = {
      id: batch.id,
      lines: batch.lines,
      bytes: batch.bytes,
      url: this.url,
      ...(batch.origin === undefined ? {} : { origin: batch.origin }),
    };
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(json.length);
    const file = path.join(this.dir, "batches", `${String(this.seq).padStart(12, "0")}-${batch.id}.batch`);
    await writeDurably(file, [length, json, batch.body]);
    const entry = { file, ...header };
    this.all.push(entry);
    return entry;
  }

  /** The gzip body of an entry, exactly as first written. */
  async body(entry: SpoolEntry): Promise<Buffer> {
    const data = await fs.readFile(entry.file);
    return data.subarray(4 + data.readUInt32BE(0));
  }

  /**
   * Drops an entry the receiver acknowledged (or that was moved aside). The
   * saved offset of its file is moved past it first: at every moment either
   * the batch file or offsets.json covers its lines, so a crash right after a
   * delivery does not make the next run read them again.
   */
  async remove(entry: SpoolEntry): Promise<void> {
    const origin = entry.origin;
    if (origin?.dev !== undefined && origin.fingerprint !== undefined && entry.url === this.url) {
      await this.coverOffset(origin as Origin & FileIdentity);
    }
    await fs.rm(entry.file, { force: true });
    const index = this.all.indexOf(entry);
    if (index !== -1) this.all.splice(index, 1);
  }

  /** Moves an entry the receiver refused for good to `rejected/`, with the reason. */
  async reject(entry: SpoolEntry, reason: { status: number; message: string }): Promise<string> {
    const base = path.join(this.dir, "rejected", path.basename(entry.file, ".batch"));
    await writeDurably(`${base}.ndjson.gz`, [await this.body(entry)]);
    const { file: _file, ...header } = entry;
    await writeDurably(`${base}.reason.json`, [
      Buffer.from(JSON.stringify({ ...header, ...reason, rejectedAt: new Date().toISOString() }, null, 2)),
    ]);
    await this.remove(entry);
    return `${base}.ndjson.gz`;
  }

  /**
   * Where reading `file` must resume for this run's receiver: past its saved
   * offset and past everything already spooled for it (a crash between
   * spooling a batch and saving the offset must not read its lines again).
   * 0 for a file never sent to this receiver, or replaced since (other
   * device, inode or first bytes).
   */
  resumeOffset(filePath: string, file: Pick<FileSnapshot, "identity" | "prefix">): number {
    // State of older versions has no device: it names the file by path and inode.
    const matches = (recorded: RecordedFile & { readonly path: string }): boolean =>
      (recorded.dev !== undefined || recorded.path === filePath) && sameFile(recorded, file);
    let offset = this.offsets.find((r) => r.url === this.url && matches(r))?.offset ?? 0;
    for (const entry of this.entries()) {
      if (entry.origin !== undefined && matches(entry.origin)) offset = Math.max(offset, entry.origin.end);
    }
    return offset;
  }

  /** Saves the read position of a file for this run's receiver (serialised, atomic replace). */
  saveOffset(file: string, identity: FileIdentity, offset: number): Promise<void> {
    const record: OffsetRecord = {
      url: this.url,
      path: file,
      dev: identity.dev,
      ino: identity.ino,
      fingerprintBytes: identity.fingerprintBytes,
      fingerprint: identity.fingerprint,
      offset,
      savedAt: new Date().toISOString(),
    };
    // One record per receiver and (dev, ino): a new fingerprint there means the file was replaced.
    const others = this.offsets.filter(
      (r) => !(r.url === this.url && r.ino === identity.ino && (r.dev ?? identity.dev) === identity.dev),
    );
    this.offsets = [...others.slice(-(MAX_OFFSET_RECORDS - 1)), record];
    const snapshot = JSON.stringify({ version: 2, files: this.offsets } satisfies OffsetsFile);
    this.offsetWrite = this.offsetWrite.then(() =>
      writeDurably(path.join(this.dir, "offsets.json"), [Buffer.from(snapshot)]),
    );
    return this.offsetWrite;
  }

  /**
   * Moves the saved offset of a delivered batch's file to the batch's end
   * when the saved offset lies inside the batch (or nothing is saved yet).
   * A saved offset before the batch's start means an earlier batch is still
   * spooled (or the record is of another file at a reused inode): left alone.
   */
  private async coverOffset(origin: Origin & FileIdentity): Promise<void> {
    const saved = this.offsets.find(
      (r) => r.url === this.url && r.ino === origin.ino && (r.dev ?? origin.dev) === origin.dev,
    );
    if (saved === undefined) return this.saveOffset(origin.path, origin, origin.end);
    const sameBytes = saved.fingerprintBytes === origin.fingerprintBytes;
    if (sameBytes && saved.fingerprint !== origin.fingerprint) return; // another file at this inode
    if (saved.offset < origin.start || saved.offset >= origin.end) return;
    // Keep the record's fingerprint: it may cover more bytes than the batch's.
    const longer = (saved.fingerprintBytes ?? 0) > origin.fingerprintBytes ? saved : origin;
    await this.saveOffset(origin.path, { ...origin, ...pickIdentity(longer) }, origin.end);
  }
}

function pickIdentity(recorded: RecordedFile): Pick<FileIdentity, "fingerprintBytes" | "fingerprint"> {
  return { fingerprintBytes: recorded.fingerprintBytes ?? 0, fingerprint: recorded.fingerprint ?? "" };
}

/** Reads offsets.json; version-1 offsets (no receiver URL) are adopted by the first URL that runs. */
async function readOffsets(dir: string, url: string): Promise<OffsetRecord[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(path.join(dir, "offsets.json"), "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new Error(
      `Spool ${dir}: offsets.json is unreadable (${(error as Error).message}); fix or remove it`,
    );
  }
  if ((parsed as Partial<OffsetsFile>).version === 2) return (parsed as OffsetsFile).files;
  return Object.entries(parsed as Record<string, { ino: number; offset: number }>).map(([file, saved]) => ({
    url,
    path: file,
    ino: saved.ino,
    offset: saved.offset,
    savedAt: new Date(0).toISOString(),
  }));
}

interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

/** True unless the holder is a process of this host that no longer exists. */
function holderAlive(holder: LockHolder): boolean {
  if (holder.host !== os.hostname()) return true; // cannot check another machine's processes
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // alive, another user's
  }
}

async function readLock(file: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as LockHolder;
  } catch {
    return undefined;
  }
}

/**
 * Takes `dir/lock`. The lock file appears with its content in one step
 * (hard link of a complete temporary file), so a reader never sees a
 * half-written lock. A lock whose process is gone (killed, crashed) is
 * stale and taken over.
 */
async function acquireLock(dir: string): Promise<string> {
  const file = path.join(dir, "lock");
  const mine: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  const temp = path.join(dir, `.tmp-lock-${randomBytes(6).toString("hex")}`);
  await fs.writeFile(temp, JSON.stringify(mine));
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await fs.link(temp, file);
        return file;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = await readLock(file);
      if (holder !== undefined && holderAlive(holder)) {
        throw new SpoolLockedError(
          `spool ${dir} is in use by log-sender process ${holder.pid} on ${holder.host} ` +
            `(started ${holder.startedAt}); wait for it to finish, stop it, or give this run another --spool DIR ` +
            `(if no such process runs, delete ${file})`,
        );
      }
      // Stale: move it aside, then check that what was moved is the lock judged stale
      // (another process may have taken the lock over in between: put that one back).
      const aside = `${file}.stale-${randomBytes(6).toString("hex")}`;
      try {
        await fs.rename(file, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      const moved = await readLock(aside);
      if (moved !== undefined && holder !== undefined && moved.pid !== holder.pid) {
        await fs.link(aside, file).catch(() => undefined);
      }
      await fs.rm(aside, { force: true });
    }
    throw new SpoolLockedError(`spool ${dir}: could not take ${file}; retry`);
  } finally {
    await fs.rm(temp, { force: true });
  }
}

async function readHeader(file: string): Promise<Header> {
  const handle = await fs.open(file, "r");
  try {
    const length = Buffer.alloc(4);
    await handle.read(length, 0, 4, 0);
    const json = Buffer.alloc(length.readUInt32BE(0));
    await handle.read(json, 0, json.length, 4);
    return JSON.parse(json.toString("utf8")) as Header;
  } catch (error) {
    throw new Error(`Spool file ${file} is corrupt (${(error as Error).message}); move it aside to continue`);
  } finally {
    await handle.close();
  }
}

/** Write to a temporary name, fsync, rename: readers see the old file or the whole new one. */
async function writeDurably(file: string, parts: readonly Buffer[]): Promise<void> {
  const temp = path.join(path.dirname(file), `.tmp-${randomBytes(6).toString("hex")}`);
  const handle = await fs.open(temp, "w");
  try {
    await handle.writev(parts as Buffer[]);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
}
