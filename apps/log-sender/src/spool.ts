import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { Batch, Origin } from "./batch";

/** A batch waiting in the spool. */
export interface SpoolEntry {
  readonly file: string;
  readonly id: string;
  readonly lines: number;
  readonly bytes: number;
  readonly origin?: Origin;
}

/** Saved read position of one file. */
export interface FileOffset {
  readonly ino: number;
  readonly offset: number;
}

type Header = Omit<SpoolEntry, "file">;

/**
 * The on-disk spool. Every batch is written here (fsync + atomic rename)
 * before it is sent and removed only after the receiver answered 200, so a
 * batch survives receiver outages and sender restarts, and a retry sends the
 * very same bytes with the same id.
 *
 * Layout of `dir`:
 * - `batches/<seq>-<id>.batch`: 4-byte big-endian header length, JSON header
 *   ({@link SpoolEntry} without `file`), then the gzip body.
 * - `rejected/<seq>-<id>.ndjson.gz` + `.reason.json`: batches the receiver
 *   refused for good (kept, never deleted, with the reason).
 * - `offsets.json`: read positions per file ({@link FileOffset}).
 */
export class Spool {
  private readonly pending: SpoolEntry[];
  private offsets: Record<string, FileOffset>;
  private seq: number;
  private offsetWrite: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    entries: SpoolEntry[],
    offsets: Record<string, FileOffset>,
  ) {
    this.pending = entries;
    this.offsets = offsets;
    this.seq = entries.reduce((max, e) => Math.max(max, Number(path.basename(e.file).split("-")[0])), 0);
  }

  /** Opens (creating if needed) a spool directory and loads what an earlier run left. */
  static async open(dir: string): Promise<Spool> {
    const batches = path.join(dir, "batches");
    await fs.mkdir(batches, { recursive: true });
    await fs.mkdir(path.join(dir, "rejected"), { recursive: true });
    const names = (await fs.readdir(batches)).sort();
    const entries: SpoolEntry[] = [];
    for (const name of names) {
      const file = path.join(batches, name);
      // Half-written files of a crashed run: their lines were never marked as read.
      if (name.startsWith(".tmp-")) await fs.rm(file, { force: true });
      else if (name.endsWith(".batch")) entries.push({ file, ...(await readHeader(file)) });
    }
    for (const name of await fs.readdir(dir)) {
      if (name.startsWith(".tmp-")) await fs.rm(path.join(dir, name), { force: true });
    }
    let offsets: Record<string, FileOffset> = {};
    try {
      offsets = JSON.parse(await fs.readFile(path.join(dir, "offsets.json"), "utf8")) as Record<
        string,
        FileOffset
      >;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new Error(
          `Spool ${dir}: offsets.json is unreadable (${(error as Error).message}); fix or remove it`,
        );
      }
    }
    return new Spool(dir, entries, offsets);
  }

  /** Batches waiting (including the ones being sent). */
  get depth(): number {
    return this.pending.length;
  }

  /** The waiting entries, oldest first. */
  entries(): readonly SpoolEntry[] {
    return this.pending;
  }

  /** Writes a batch durably and queues it. */
  async add(batch: Batch): Promise<SpoolEntry> {
    this.seq++;
    const header: Header = {
      id: batch.id,
      lines: batch.lines,
      bytes: batch.bytes,
      ...(batch.origin === undefined ? {} : { origin: batch.origin }),
    };
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(json.length);
    const file = path.join(this.dir, "batches", `${String(this.seq).padStart(12, "0")}-${batch.id}.batch`);
    await writeDurably(file, [length, json, batch.body]);
    const entry = { file, ...header };
    this.pending.push(entry);
    return entry;
  }

  /** The gzip body of an entry, exactly as first written. */
  async body(entry: SpoolEntry): Promise<Buffer> {
    const data = await fs.readFile(entry.file);
    return data.subarray(4 + data.readUInt32BE(0));
  }

  /** Drops an entry the receiver acknowledged. */
  async remove(entry: SpoolEntry): Promise<void> {
    await fs.rm(entry.file, { force: true });
    this.forget(entry);
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
   * Where reading `file` (inode `ino`) must resume: past everything saved in
   * offsets.json and everything already spooled (a crash between spooling a
   * batch and saving the offset must not send its lines twice). 0 for a file
   * never seen or replaced since (other inode).
   */
  resumeOffset(file: string, ino: number): number {
    const saved = this.offsets[file];
    let offset = saved !== undefined && saved.ino === ino ? saved.offset : 0;
    for (const entry of this.pending) {
      if (entry.origin?.path === file && entry.origin.ino === ino)
        offset = Math.max(offset, entry.origin.end);
    }
    return offset;
  }

  /** Saves a read position (serialised, atomic replace). */
  saveOffset(file: string, position: FileOffset): Promise<void> {
    this.offsets = { ...this.offsets, [file]: position };
    const snapshot = JSON.stringify(this.offsets);
    this.offsetWrite = this.offsetWrite.then(() =>
      writeDurably(path.join(this.dir, "offsets.json"), [Buffer.from(snapshot)]),
    );
    return this.offsetWrite;
  }

  private forget(entry: SpoolEntry): void {
    const index = this.pending.indexOf(entry);
    if (index !== -1) this.pending.splice(index, 1);
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
