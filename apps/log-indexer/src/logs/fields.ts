/**
 * Flattens a JSON line's leaves into the logs document's `fields` object,
 * straight from the line's UTF-8 bytes: one scan, no object tree, and the
 * `fields` JSON written as bytes (names and values copied as the escaped
 * text they already are) into a scratch buffer the document then copies.
 * Building it as strings instead (a slice per key and value, a
 * concatenation per leaf, then a flatten and an encode of the whole) was
 * most of the indexer's time on JSON lines (measured).
 *
 * Naming scheme (why it can never cause a mapping conflict): every leaf
 * becomes ONE key directly under `fields`, named by its path with `_`
 * between the parts, and dots inside keys are replaced by `_` too:
 * `{"a":{"b":2}}` and `{"a.b":2}` both give `fields.a_b`, `{"a":1}` gives
 * `fields.a`. No name is ever an object in OpenSearch (there are no dots
 * left to expand), and the template maps every dynamic field under `fields`
 * to `keyword`, so `{"a":1}` from one sender and `{"a":{"b":2}}` from
 * another map as two keyword fields `fields.a` and `fields.a_b` in the same
 * index. Values are keyword text: numbers and booleans as written
 * (`"200"`, `"true"`), arrays of scalars as arrays of strings; `null` is
 * skipped (it indexes nothing).
 *
 * Bounded: at most `maxFields` leaves, names of at most `maxKeyLength`
 * characters, objects nested at most `maxDepth` deep; what does not fit
 * (and arrays holding objects or arrays, and a second leaf with a name
 * already used) goes to `overflow`, a JSON object text kept in `_source`
 * (`fields_overflow`, not indexed), so nothing is lost and no document is
 * rejected for its shape.
 *
 * The input must already be valid JSON (the receiver validated events; other
 * records went through `JSON.parse`): the scanner checks the structure and
 * gives up (undefined) on anything it does not expect, but it does not
 * re-validate escapes inside strings.
 */

/** Bounds of the flattening. */
export interface FieldLimits {
  /** Leaves mapped into `fields` at most; the rest go to the overflow. */
  readonly maxFields: number;
  /** Longest field name (characters) mapped. */
  readonly maxKeyLength: number;
  /** Deepest object nesting flattened (1 = only top-level keys). */
  readonly maxDepth: number;
}

/** Longest field name mapped by default. */
export const DEFAULT_MAX_KEY_LENGTH = 128;
/** Deepest nesting flattened by default. */
export const DEFAULT_MAX_DEPTH = 8;

/** What {@link flattenJsonBytes} found in a JSON object line. */
export interface FlatScan {
  /**
   * `"name":value,…`, the inside of the `fields` object, as UTF-8:
   * `pairs[0, pairsLength)`. A scratch buffer shared by every scan: valid
   * until the next one.
   */
  readonly pairs: Buffer;
  readonly pairsLength: number;
  /** Leaves in {@link pairs}. */
  readonly count: number;
  /** JSON object text of the leaves that did not fit, when some did not. */
  readonly overflow?: string;
  /** The top-level `message`, `msg` or `log` string (first of those present), as its JSON literal with quotes. */
  readonly message?: string;
  /** Top-level `level` / `severity` / `lvl`, lowercased (pino's numeric levels as names). */
  readonly level?: string;
  /** Top-level `host` / `hostname` string. */
  readonly host?: string;
  /** Top-level `time` / `timestamp` / `@timestamp` / `ts`, as given. */
  readonly time?: string | number;
}

/** {@link FlatScan} with the pairs as a string: what {@link flattenJson} gives. */
export interface FlatFields extends Omit<FlatScan, "pairs" | "pairsLength"> {
  /** `"name":value,…`: the inside of the `fields` object as JSON text ("" when no leaf). */
  readonly pairs: string;
}

/** pino's numeric levels. */
const NUMERIC_LEVELS: Readonly<Record<string, string>> = {
  "10": "trace",
  "20": "debug",
  "30": "info",
  "40": "warn",
  "50": "error",
  "60": "fatal",
};

/** Top-level keys that become `message`, in order of preference. */
const MESSAGE_KEYS = ["message", "msg", "log"] as const;
/** The same, as bytes (compared with a raw top-level key). */
const MESSAGE_KEY_BYTES = MESSAGE_KEYS.map((key) => Buffer.from(key, "latin1"));
/** Roles of top-level keys besides the message ranks 0–2 (see Scan.role). */
const LEVEL = 3;
const HOST = 4;
const TIME = 5;
const NO_ROLE = -1;
/** Top-level keys with a role, by their first byte. */
const ROLES_BY_FIRST_BYTE: (readonly (readonly [Buffer, number])[] | undefined)[] = Array.from(
  { length: 256 },
  () => undefined,
);
for (const [key, role] of [
  ...MESSAGE_KEYS.map((key, rank) => [key, rank] as const),
  ...(["level", "severity", "lvl"] as const).map((key) => [key, LEVEL] as const),
  ...(["host", "hostname"] as const).map((key) => [key, HOST] as const),
  ...(["time", "timestamp", "@timestamp", "ts"] as const).map((key) => [key, TIME] as const),
]) {
  const first = key.charCodeAt(0);
  ROLES_BY_FIRST_BYTE[first] = [...(ROLES_BY_FIRST_BYTE[first] ?? []), [Buffer.from(key, "latin1"), role]];
}

/** Names used by the current scan beyond {@link LINEAR_NAMES}; one set reused (scans never overlap), cleared per line. */
const SEEN = new Set<string>();
/** Up to this many names, duplicates are found by comparing bytes; beyond, by {@link SEEN}. */
const LINEAR_NAMES = 32;

class Invalid extends Error {}
const INVALID = new Invalid("not a JSON object");

/** FNV-1a (32 bits) of names, for finding a repeated one. */
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const UNDERSCORE = 0x5f;
const DOT = 0x2e;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** A buffer of at least `bytes` bytes holding `buffer[0, used)`. */
function grown(buffer: Buffer, used: number, bytes: number): Buffer {
  if (bytes <= buffer.length) return buffer;
  const next = Buffer.allocUnsafe(Math.max(bytes, 2 * buffer.length));
  buffer.copy(next, 0, 0, used);
  return next;
}

/**
 * The state of one scan (one Scan serves every line: scans never overlap).
 * The current leaf's name is built in {@link name} (the path so far, then
 * the key); the pairs go to {@link out}.
 */
class Scan {
  data: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  out: Buffer = Buffer.allocUnsafe(64 * 1024);
  o = 0;
  name: Buffer = Buffer.allocUnsafe(1024);
  count = 0;
  overflow = "";
  /** Where the names of the leaves written so far are in {@link out}, and their lengths. */
  readonly nameStarts: number[] = [];
  readonly nameLengths: number[] = [];
  /** Their FNV-1a hashes (see {@link nameHash}). */
  readonly nameHashes: number[] = [];
  /** FNV-1a hash of the current name's bytes, built as the name is. */
  nameHash = 0;
  readonly seen = SEEN;
  /** Byte ranges of the held-back message candidates (`message`, `msg`, `log`), -1 when absent. */
  readonly messageStarts = [-1, -1, -1];
  readonly messageEnds = [-1, -1, -1];
  level: string | undefined;
  host: string | undefined;
  time: string | number | undefined;
  limits: FieldLimits = { maxFields: 0, maxKeyLength: 0, maxDepth: 0 };

  reset(data: Buffer, start: number, end: number, limits: FieldLimits): this {
    this.data = data;
    this.pos = start;
    this.end = end;
    this.o = 0;
    this.count = 0;
    this.overflow = "";
    this.nameStarts.length = 0;
    this.nameLengths.length = 0;
    this.nameHashes.length = 0;
    if (this.seen.size > 0) this.seen.clear();
    for (let rank = 0; rank < 3; rank++) this.messageStarts[rank] = this.messageEnds[rank] = -1;
    this.level = this.host = this.time = undefined;
    this.limits = limits;
    return this;
  }

  /** The byte at `at`, or -1 past the end (so a cut line fails as invalid, never reads beyond it). */
  at(at: number): number {
    return at < this.end ? (this.data[at] as number) : -1;
  }

  ws(): void {
    const data = this.data;
    const end = this.end;
    let pos = this.pos;
    while (pos < end) {
      const c = data[pos] as number;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.pos = pos;
  }

  /** End (past the closing quote) of the string starting at `start` (its opening quote). */
  stringEnd(start: number): number {
    const data = this.data;
    const end = this.end;
    for (let i = start + 1; i < end; i++) {
      const c = data[i] as number;
      if (c === QUOTE) return i + 1;
      if (c === BACKSLASH) i++;
    }
    throw INVALID;
  }

  /** Copies the string starting at `start` (its opening quote) to the pairs; returns its end. */
  copyString(start: number): number {
    const data = this.data;
    const end = this.end;
    this.room(end - start);
    const out = this.out;
    let o = this.o;
    out[o++] = QUOTE;
    for (let i = start + 1; i < end; i++) {
      const c = data[i] as number;
      out[o++] = c;
      if (c === QUOTE) {
        this.o = o;
        return i + 1;
      }
      if (c === BACKSLASH && i + 1 < end) out[o++] = data[++i] as number;
    }
    throw INVALID;
  }

  /** End of the number or literal (`true`/`false`/`null`) at `start`. */
  atomEnd(start: number): number {
    const data = this.data;
    const end = this.end;
    let pos = start;
    while (pos < end) {
      const c = data[pos] as number;
      // digits, - + . e E and the letters of true/false/null
      if (
        (c >= 0x30 && c <= 0x39) ||
        c === 0x2d ||
        c === 0x2b ||
        c === DOT ||
        (c >= 0x61 && c <= 0x7a) ||
        c === 0x45
      )
        pos++;
      else break;
    }
    if (pos === start) throw INVALID;
    return pos;
  }

  /** End of any value at `start` (skipped without flattening). */
  valueEnd(start: number): number {
    const c = this.at(start);
    if (c === QUOTE) return this.stringEnd(start);
    if (c !== OPEN_BRACE && c !== OPEN_BRACKET) return this.atomEnd(start);
    const data = this.data;
    let depth = 0;
    for (let pos = start; pos < this.end;) {
      const d = data[pos] as number;
      if (d === QUOTE) {
        pos = this.stringEnd(pos);
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return pos + 1;
      }
      pos++;
    }
    throw INVALID;
  }

  /** Room for `bytes` more bytes of pairs. */
  room(bytes: number): void {
    if (this.o + bytes > this.out.length) this.out = grown(this.out, this.o, this.o + bytes);
  }

  /** Room for a name of `bytes` bytes. */
  nameRoom(bytes: number): void {
    if (bytes > this.name.length) this.name = grown(this.name, this.name.length, bytes);
  }

  /** Files the value `data[start, end)` of the current name (`nameLength` bytes) in the overflow object. */
  spill(nameLength: number, start: number, end: number): void {
    // The name is its JSON form (keys without escapes are already canonical JSON).
    this.overflow +=
      (this.overflow === "" ? '"' : ',"') +
      this.name.toString("utf8", 0, nameLength) +
      '":' +
      this.data.toString("utf8", start, end);
  }

  /**
   * Whether the current name (`nameLength` bytes, `nameChars` characters,
   * hash {@link nameHash}) can take a leaf: within the bounds and not used
   * yet (OpenSearch refuses duplicate keys). Records it in {@link seen}
   * past {@link LINEAR_NAMES} names; {@link leafStart} records the others.
   */
  admits(nameLength: number, nameChars: number): boolean {
    if (this.count >= this.limits.maxFields || nameChars > this.limits.maxKeyLength) return false;
    const starts = this.nameStarts;
    if (starts.length < LINEAR_NAMES) {
      // The hashes first: comparing bytes only on a match keeps this cheap however many names share a prefix.
      const hashes = this.nameHashes;
      const hash = this.nameHash;
      for (let k = 0; k < starts.length; k++) {
        if (
          hashes[k] === hash &&
          this.nameLengths[k] === nameLength &&
          this.sameName(starts[k] as number, nameLength)
        ) {
          return false;
        }
      }
      return true;
    }
    const text = this.name.toString("utf8", 0, nameLength);
    if (this.seen.has(text)) return false;
    this.seen.add(text);
    return true;
  }

  /** Whether `out[at, at + length)` is the current name. */
  sameName(at: number, length: number): boolean {
    const out = this.out;
    const name = this.name;
    for (let i = 0; i < length; i++) if (out[at + i] !== name[i]) return false;
    return true;
  }

  /** Writes `,"<name>":` (no comma before the first leaf) and records where the name is. */
  leafStart(nameLength: number): void {
    this.room(nameLength + 4);
    const out = this.out;
    let o = this.o;
    if (this.count > 0) out[o++] = COMMA;
    out[o++] = QUOTE;
    const at = o;
    const name = this.name;
    for (let i = 0; i < nameLength; i++) out[o++] = name[i] as number;
    out[o++] = QUOTE;
    out[o++] = COLON;
    this.o = o;
    const starts = this.nameStarts;
    starts.push(at);
    this.nameLengths.push(nameLength);
    this.nameHashes.push(this.nameHash);
    if (starts.length === LINEAR_NAMES) {
      for (let k = 0; k < LINEAR_NAMES; k++) {
        this.seen.add(
          out.toString("utf8", starts[k], (starts[k] as number) + (this.nameLengths[k] as number)),
        );
      }
    }
    this.count++;
  }

  /**
   * Appends the key whose string opens at `keyStart` to the name after
   * `prefixLength` bytes (hash `prefixHash`); returns the name's length in
   * bytes and sets {@link keyEnd}, {@link keyChars} and {@link nameHash}.
   */
  keyName(keyStart: number, prefixLength: number, prefixHash: number): number {
    const data = this.data;
    const end = this.end;
    const at = prefixLength === 0 ? 0 : prefixLength + 1;
    let hash = prefixHash;
    // The key is at most the rest of the line.
    this.nameRoom(at + end - keyStart);
    const name = this.name;
    if (prefixLength > 0) {
      name[prefixLength] = UNDERSCORE;
      hash = Math.imul(hash ^ UNDERSCORE, FNV_PRIME);
    }
    // Printable ASCII without escapes, not starting with a space: the name is the key's text with
    // dots as `_`, one byte per character (nearly every key). Copied as the key is scanned.
    const first = this.at(keyStart + 1);
    if (first > 0x20 && first !== QUOTE) {
      let n = at;
      for (let i = keyStart + 1; i < end; i++) {
        let c = data[i] as number;
        if (c === QUOTE) {
          this.keyEnd = i + 1;
          this.keyChars = n - at;
          this.nameHash = hash;
          return n;
        }
        if (c < 0x20 || c >= 0x7f || c === BACKSLASH) break;
        if (c === DOT) c = UNDERSCORE;
        name[n++] = c;
        hash = Math.imul(hash ^ c, FNV_PRIME);
      }
    }
    return this.otherKeyName(
      keyStart,
      at,
      prefixLength === 0 ? prefixHash : Math.imul(prefixHash ^ UNDERSCORE, FNV_PRIME),
    );
  }

  /** {@link keyName} of a key with escapes, other characters, or blank (rare). */
  otherKeyName(keyStart: number, at: number, hash: number): number {
    const data = this.data;
    const keyEnd = this.stringEnd(keyStart);
    const raw = data.toString("utf8", keyStart + 1, keyEnd - 1);
    const escaped = raw.includes("\\");
    let key = escaped ? (JSON.parse(data.toString("utf8", keyStart, keyEnd)) as string) : raw;
    key = key.replaceAll(".", "_");
    // OpenSearch refuses empty and blank field names.
    if (key.trim() === "") key = `_${key}`;
    const json = escaped ? JSON.stringify(key).slice(1, -1) : key;
    this.nameRoom(at + json.length * 6);
    if (at > 0) this.name[at - 1] = UNDERSCORE;
    const n = at + this.name.write(json, at);
    for (let i = at; i < n; i++) hash = Math.imul(hash ^ (this.name[i] as number), FNV_PRIME);
    this.keyEnd = keyEnd;
    this.keyChars = key.length;
    this.nameHash = hash;
    return n;
  }

  /** End (past its closing quote) of the key {@link keyName} last appended. */
  keyEnd = 0;
  /** Characters of that key. */
  keyChars = 0;

  /**
   * Scans the object at `pos` (its `{`); its names start with
   * `name[0, prefixLength)` (`prefixChars` characters, hash `prefixHash`).
   */
  object(prefixLength: number, prefixChars: number, prefixHash: number, depth: number): void {
    this.pos++;
    this.ws();
    if (this.at(this.pos) === CLOSE_BRACE) {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.at(this.pos) !== QUOTE) throw INVALID;
      const keyStart = this.pos;
      const nameLength = this.keyName(keyStart, prefixLength, prefixHash);
      const keyEnd = this.keyEnd;
      const nameChars = prefixLength === 0 ? this.keyChars : prefixChars + 1 + this.keyChars;
      this.pos = keyEnd;
      this.ws();
      if (this.at(this.pos) !== COLON) throw INVALID;
      this.pos++;
      this.ws();
      this.member(depth === 0 ? keyStart : -1, keyEnd, nameLength, nameChars, depth);
      this.ws();
      const c = this.at(this.pos);
      this.pos++;
      if (c === CLOSE_BRACE) return;
      if (c !== COMMA) throw INVALID;
      this.ws();
    }
  }

  /**
   * Scans one member value; `keyStart` is the raw key's opening quote for a
   * top-level member (for message/level/host/time), else -1.
   */
  member(keyStart: number, keyEnd: number, nameLength: number, nameChars: number, depth: number): void {
    const start = this.pos;
    const c = this.at(start);
    if (c === QUOTE) {
      if (keyStart >= 0 && this.special(keyStart, keyEnd, start)) return;
      if (this.admits(nameLength, nameChars)) {
        this.leafStart(nameLength);
        this.pos = this.copyString(start);
      } else {
        this.pos = this.stringEnd(start);
        this.spill(nameLength, start, this.pos);
      }
    } else if (c === OPEN_BRACE) {
      if (depth + 1 >= this.limits.maxDepth) {
        this.pos = this.valueEnd(start);
        this.spill(nameLength, start, this.pos);
      } else {
        this.object(nameLength, nameChars, this.nameHash, depth + 1);
      }
    } else if (c === OPEN_BRACKET) {
      this.array(nameLength, nameChars);
    } else {
      const end = this.atomEnd(start);
      this.pos = end;
      if (isNull(this.data, start, end)) return;
      if (keyStart >= 0) this.specialAtom(keyStart, keyEnd, start, end);
      if (this.admits(nameLength, nameChars)) {
        this.leafStart(nameLength);
        this.room(end - start + 2);
        const out = this.out;
        out[this.o++] = QUOTE;
        this.o = copyShort(this.data, start, end, out, this.o);
        out[this.o++] = QUOTE;
      } else {
        this.spill(nameLength, start, end);
      }
    }
  }

  /** An array: of scalars → one leaf holding strings; holding objects or arrays → overflow. */
  array(nameLength: number, nameChars: number): void {
    const start = this.pos;
    const data = this.data;
    this.pos++;
    this.ws();
    if (this.at(this.pos) === CLOSE_BRACKET) {
      this.pos++;
      return;
    }
    // The values are written where the leaf would go, after room for its name, and dropped
    // when the array is not a leaf after all.
    const leafAt = this.o;
    const valuesAt = leafAt + nameLength + 5;
    this.room(nameLength + 5);
    this.o = valuesAt;
    let values = 0;
    let nested = false;
    for (;;) {
      const at = this.pos;
      const c = this.at(at);
      if (c === QUOTE) {
        this.room(1);
        this.out[this.o++] = values === 0 ? OPEN_BRACKET : COMMA;
        this.pos = this.copyString(at);
        values++;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        this.pos = this.valueEnd(at);
        nested = true;
      } else {
        this.pos = this.atomEnd(at);
        if (!isNull(data, at, this.pos)) {
          this.room(this.pos - at + 3);
          const out = this.out;
          out[this.o++] = values === 0 ? OPEN_BRACKET : COMMA;
          out[this.o++] = QUOTE;
          this.o = copyShort(data, at, this.pos, out, this.o);
          out[this.o++] = QUOTE;
          values++;
        }
      }
      this.ws();
      const d = this.at(this.pos);
      this.pos++;
      if (d === CLOSE_BRACKET) break;
      if (d !== COMMA) throw INVALID;
      this.ws();
    }
    const valuesEnd = this.o;
    this.o = leafAt;
    if (nested) {
      this.spill(nameLength, start, this.pos);
    } else if (values > 0) {
      if (!this.admits(nameLength, nameChars)) {
        this.spill(nameLength, start, this.pos);
        return;
      }
      this.leafStart(nameLength);
      // The name took at most the room left before the values: move them up to it.
      this.o += this.out.copy(this.out, this.o, valuesAt, valuesEnd);
      this.room(1);
      this.out[this.o++] = CLOSE_BRACKET;
    }
  }

  /**
   * The role of a raw top-level key `data[keyStart, keyEnd)` (quotes
   * included): a message rank (0–2), {@link LEVEL}, {@link HOST},
   * {@link TIME}, or {@link NO_ROLE}. Looked up by its first byte: most keys
   * are compared with no candidate at all.
   */
  role(keyStart: number, keyEnd: number): number {
    const data = this.data;
    const candidates = ROLES_BY_FIRST_BYTE[data[keyStart + 1] as number];
    if (candidates === undefined) return NO_ROLE;
    const length = keyEnd - keyStart - 2;
    for (const [key, role] of candidates) {
      if (key.length !== length) continue;
      let same = true;
      for (let i = 1; i < length && same; i++) same = data[keyStart + 1 + i] === key[i];
      if (same) return role;
    }
    return NO_ROLE;
  }

  /** Records a top-level string that has a meaning; true when it is held back as a message candidate. */
  special(keyStart: number, keyEnd: number, start: number): boolean {
    const role = this.role(keyStart, keyEnd);
    if (role === NO_ROLE) return false;
    if (role < LEVEL) {
      if (this.messageStarts[role] !== -1) return false;
      this.pos = this.stringEnd(start);
      this.messageStarts[role] = start;
      this.messageEnds[role] = this.pos;
      return true;
    }
    const end = this.stringEnd(start);
    if (role === LEVEL) this.level ??= decode(this.data, start, end).toLowerCase();
    else if (role === HOST) this.host ??= decode(this.data, start, end);
    else this.time ??= decode(this.data, start, end);
    return false;
  }

  /** Records a top-level number (or boolean) that has a meaning: numeric levels and epoch times. */
  specialAtom(keyStart: number, keyEnd: number, start: number, end: number): void {
    const role = this.role(keyStart, keyEnd);
    if (role !== LEVEL && role !== TIME) return;
    const raw = this.data.toString("latin1", start, end);
    if (role === LEVEL) {
      this.level ??= NUMERIC_LEVELS[raw] ?? raw;
    } else {
      const value = Number(raw);
      if (Number.isFinite(value)) this.time ??= value;
    }
  }

  /** Adds the held-back message candidate of `rank` as a leaf named by its key. */
  messageLeaf(rank: number): void {
    const key = MESSAGE_KEY_BYTES[rank] as Buffer;
    this.nameRoom(key.length);
    key.copy(this.name, 0);
    let hash = FNV_OFFSET;
    for (const byte of key) hash = Math.imul(hash ^ byte, FNV_PRIME);
    this.nameHash = hash;
    const start = this.messageStarts[rank] as number;
    const end = this.messageEnds[rank] as number;
    if (this.admits(key.length, key.length)) {
      this.leafStart(key.length);
      this.copyString(start);
    } else {
      this.spill(key.length, start, end);
    }
  }
}

const SCAN = new Scan();

/** Copies the (short: a number or literal) bytes `from[start, end)` to `to` at `at`; returns the end. A loop: `Buffer#copy` costs more than a few bytes take. */
function copyShort(from: Buffer, start: number, end: number, to: Buffer, at: number): number {
  for (let i = start; i < end; i++) to[at++] = from[i] as number;
  return at;
}

function isNull(data: Buffer, start: number, end: number): boolean {
  return (
    end - start === 4 &&
    data[start] === 0x6e &&
    data[start + 1] === 0x75 &&
    data[start + 2] === 0x6c &&
    data[start + 3] === 0x6c
  );
}

/** The text of the JSON string literal `data[start, end)` (quotes included). */
function decode(data: Buffer, start: number, end: number): string {
  const raw = data.toString("utf8", start, end);
  return raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
}

/**
 * Flattens the JSON object `data[start, end)` (UTF-8; see the module comment
 * for the naming scheme and bounds). The pairs are in a scratch buffer that
 * the next call overwrites.
 *
 * @returns undefined when it is not a JSON object.
 */
export function flattenJsonBytes(
  data: Buffer,
  start: number,
  end: number,
  limits: FieldLimits,
): FlatScan | undefined {
  const scan = SCAN.reset(data, start, end, limits);
  try {
    scan.ws();
    if (scan.at(scan.pos) !== OPEN_BRACE) return undefined;
    scan.object(0, 0, FNV_OFFSET, 0);
    scan.ws();
    if (scan.pos !== end) return undefined;
  } catch (error) {
    if (error instanceof Invalid || error instanceof SyntaxError) return undefined;
    throw error;
  }
  let message: string | undefined;
  for (let rank = 0; rank < MESSAGE_KEYS.length; rank++) {
    const at = scan.messageStarts[rank] as number;
    if (at < 0) continue;
    if (message === undefined) message = data.toString("utf8", at, scan.messageEnds[rank]);
    else scan.messageLeaf(rank);
  }
  // One object shape for every line (no conditional spreads): absent values are undefined.
  return {
    pairs: scan.out,
    pairsLength: scan.o,
    count: scan.count,
    overflow: scan.overflow === "" ? undefined : `{${scan.overflow}}`,
    message,
    level: scan.level,
    host: scan.host,
    time: scan.time,
  };
}

/** {@link flattenJsonBytes} of a JSON object text, with the pairs as a string. */
export function flattenJson(json: string, limits: FieldLimits): FlatFields | undefined {
  const data = Buffer.from(json, "utf8");
  const flat = flattenJsonBytes(data, 0, data.length, limits);
  if (flat === undefined) return undefined;
  const { pairs, pairsLength, ...rest } = flat;
  return { ...rest, pairs: pairs.toString("utf8", 0, pairsLength) };
}
