/**
 * Flattens a JSON line's leaves into the logs document's `fields` object,
 * straight from the JSON text: one scan, no object tree, and string values
 * copied as the escaped slices they already are.
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

/** What {@link flattenJson} found in a JSON object line. */
export interface FlatFields {
  /** `"name":value,…`: the inside of the `fields` object as JSON text ("" when no leaf). */
  readonly pairs: string;
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

/** Names used by the current scan; one set reused (scans never overlap), cleared per line. */
const SEEN = new Set<string>();
/** Up to this many names, duplicates are found by comparison; beyond, by {@link SEEN}. */
const LINEAR_NAMES = 32;

class Invalid extends Error {}
const INVALID = new Invalid("not a JSON object");

/** The state of one scan. */
class Scan {
  pos = 0;
  /** The `fields` JSON so far (the document's join flattens it once, with the rest of the document). */
  pairs = "";
  count = 0;
  overflow = "";
  readonly names: string[] = [];
  readonly seen = SEEN;
  readonly messages: (string | undefined)[] = [undefined, undefined, undefined];
  level: string | undefined;
  host: string | undefined;
  time: string | number | undefined;
  text = "";
  limits: FieldLimits = { maxFields: 0, maxKeyLength: 0, maxDepth: 0 };

  /** Starts a scan of `text` (one Scan serves every line: scans never overlap, and it saves objects per line). */
  reset(text: string, limits: FieldLimits): this {
    this.pos = 0;
    this.pairs = "";
    this.count = 0;
    this.overflow = "";
    this.names.length = 0;
    if (this.seen.size > 0) this.seen.clear();
    this.messages[0] = this.messages[1] = this.messages[2] = undefined;
    this.level = this.host = this.time = undefined;
    this.text = text;
    this.limits = limits;
    return this;
  }

  ws(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.pos = pos;
  }

  /** End (past the closing quote) of the string starting at `start` (its opening quote). */
  stringEnd(start: number): number {
    const text = this.text;
    let from = start + 1;
    for (;;) {
      const quote = text.indexOf('"', from);
      if (quote < 0) throw INVALID;
      let backslashes = 0;
      while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
      if (backslashes % 2 === 0) return quote + 1;
      from = quote + 1;
    }
  }

  /** End of the number or literal (`true`/`false`/`null`) at `start`. */
  atomEnd(start: number): number {
    const text = this.text;
    let pos = start;
    for (;;) {
      const c = text.charCodeAt(pos);
      // digits, - + . e E and the letters of true/false/null
      if (
        (c >= 0x30 && c <= 0x39) ||
        c === 0x2d ||
        c === 0x2b ||
        c === 0x2e ||
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
    const c = this.text.charCodeAt(start);
    if (c === 0x22) return this.stringEnd(start);
    if (c !== 0x7b && c !== 0x5b) return this.atomEnd(start);
    const text = this.text;
    let depth = 0;
    let pos = start;
    for (;;) {
      const d = text.charCodeAt(pos);
      if (Number.isNaN(d)) throw INVALID;
      if (d === 0x22) {
        pos = this.stringEnd(pos);
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return pos + 1;
      }
      pos++;
    }
  }

  /** Files a value that does not fit under `name` (decoded) in the overflow object. */
  spill(name: string, raw: string): void {
    this.overflow += (this.overflow === "" ? "" : ",") + JSON.stringify(name) + ":" + raw;
  }

  /**
   * Whether a leaf already has `name` (then it goes to the overflow: OpenSearch
   * refuses duplicate keys), and records it otherwise. A line has few fields:
   * comparing with each is cheaper than hashing every name, until there are many.
   */
  used(name: string): boolean {
    const names = this.names;
    if (names.length < LINEAR_NAMES) {
      for (let i = 0; i < names.length; i++) if (names[i] === name) return true;
      names.push(name);
      if (names.length === LINEAR_NAMES) for (const known of names) this.seen.add(known);
      return false;
    }
    if (this.seen.has(name)) return true;
    this.seen.add(name);
    return false;
  }

  /** Adds a leaf `name` (decoded; `nameJson` its escaped form) with the JSON keyword value `value`. */
  leaf(name: string, nameJson: string, value: string, raw: string): void {
    if (this.count >= this.limits.maxFields || name.length > this.limits.maxKeyLength || this.used(name)) {
      this.spill(name, raw);
      return;
    }
    this.pairs += (this.count === 0 ? '"' : ',"') + nameJson + '":' + value;
    this.count++;
  }

  /** Scans the object at `pos` (its `{`); its keys are named under `prefix` (decoded) / `prefixJson` (escaped). */
  object(prefix: string, prefixJson: string, depth: number): void {
    const text = this.text;
    this.pos++;
    this.ws();
    if (text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return;
    }
    for (;;) {
      if (text.charCodeAt(this.pos) !== 0x22) throw INVALID;
      const keyStart = this.pos;
      const keyEnd = this.stringEnd(keyStart);
      const rawKey = text.slice(keyStart + 1, keyEnd - 1);
      let key = rawKey;
      let keyJson = rawKey;
      const escaped = rawKey.includes("\\");
      if (escaped) {
        key = JSON.parse(text.slice(keyStart, keyEnd)) as string;
        keyJson = JSON.stringify(key).slice(1, -1);
      }
      if (key.includes(".")) {
        key = key.replaceAll(".", "_");
        keyJson = escaped ? keyJson.replaceAll(".", "_") : key;
      }
      if (blank(key)) {
        // OpenSearch refuses empty and blank field names.
        key = `_${key}`;
        keyJson = escaped ? `_${keyJson}` : key;
      }
      // Without escapes a name and its JSON form are the same text: build it once.
      const name = prefix === "" ? key : `${prefix}_${key}`;
      const nameJson =
        prefix === ""
          ? keyJson
          : key === keyJson && prefix === prefixJson
            ? name
            : `${prefixJson}_${keyJson}`;
      this.pos = keyEnd;
      this.ws();
      if (text.charCodeAt(this.pos) !== 0x3a) throw INVALID;
      this.pos++;
      this.ws();
      this.member(depth === 0 ? rawKey : undefined, name, nameJson, depth);
      this.ws();
      const c = text.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x7d) return;
      if (c !== 0x2c) throw INVALID;
      this.ws();
    }
  }

  /** Scans one member value; `topKey` is the raw key of a top-level member (for message/level/host/time). */
  member(topKey: string | undefined, name: string, nameJson: string, depth: number): void {
    const text = this.text;
    const start = this.pos;
    const c = text.charCodeAt(start);
    if (c === 0x22) {
      const end = this.stringEnd(start);
      this.pos = end;
      const raw = text.slice(start, end);
      if (topKey !== undefined && this.special(topKey, raw)) return;
      this.leaf(name, nameJson, raw, raw);
    } else if (c === 0x7b) {
      if (depth + 1 >= this.limits.maxDepth) {
        this.pos = this.valueEnd(start);
        this.spill(name, text.slice(start, this.pos));
      } else {
        this.object(name, nameJson, depth + 1);
      }
    } else if (c === 0x5b) {
      this.array(name, nameJson);
    } else {
      const end = this.atomEnd(start);
      this.pos = end;
      const raw = text.slice(start, end);
      if (raw === "null") return;
      if (topKey !== undefined) this.specialAtom(topKey, raw);
      this.leaf(name, nameJson, `"${raw}"`, raw);
    }
  }

  /** An array: of scalars → one leaf holding strings; holding objects or arrays → overflow. */
  array(name: string, nameJson: string): void {
    const text = this.text;
    const start = this.pos;
    this.pos++;
    this.ws();
    let values = "";
    let nested = false;
    if (text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return;
    }
    for (;;) {
      const at = this.pos;
      const c = text.charCodeAt(at);
      if (c === 0x22) {
        this.pos = this.stringEnd(at);
        values += (values === "" ? "" : ",") + text.slice(at, this.pos);
      } else if (c === 0x7b || c === 0x5b) {
        this.pos = this.valueEnd(at);
        nested = true;
      } else {
        this.pos = this.atomEnd(at);
        const raw = text.slice(at, this.pos);
        if (raw !== "null") values += (values === "" ? '"' : ',"') + raw + '"';
      }
      this.ws();
      const d = text.charCodeAt(this.pos);
      this.pos++;
      if (d === 0x5d) break;
      if (d !== 0x2c) throw INVALID;
      this.ws();
    }
    const raw = text.slice(start, this.pos);
    if (nested) this.spill(name, raw);
    else if (values !== "") this.leaf(name, nameJson, `[${values}]`, raw);
  }

  /** Records a top-level string that has a meaning; true when it is held back as a message candidate. */
  special(key: string, raw: string): boolean {
    const messageRank = MESSAGE_KEYS.indexOf(key as (typeof MESSAGE_KEYS)[number]);
    if (messageRank >= 0 && this.messages[messageRank] === undefined) {
      this.messages[messageRank] = raw;
      return true;
    }
    switch (key) {
      case "level":
      case "severity":
      case "lvl":
        this.level ??= decode(raw).toLowerCase();
        break;
      case "host":
      case "hostname":
        this.host ??= decode(raw);
        break;
      case "time":
      case "timestamp":
      case "@timestamp":
      case "ts":
        this.time ??= decode(raw);
        break;
    }
    return false;
  }

  /** Records a top-level number (or boolean) that has a meaning: numeric levels and epoch times. */
  specialAtom(key: string, raw: string): void {
    switch (key) {
      case "level":
      case "severity":
      case "lvl":
        this.level ??= NUMERIC_LEVELS[raw] ?? raw;
        break;
      case "time":
      case "timestamp":
      case "@timestamp":
      case "ts": {
        const value = Number(raw);
        if (Number.isFinite(value)) this.time ??= value;
        break;
      }
    }
  }
}

const SCAN = new Scan();

/** `key.trim() === ""`, without trimming names that start with a visible ASCII character (nearly all). */
function blank(key: string): boolean {
  const c = key.charCodeAt(0);
  return !(c > 0x20 && c < 0x7f) && key.trim() === "";
}

/** The text of a JSON string literal (quotes included). */
function decode(raw: string): string {
  return raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
}

/**
 * Flattens the JSON object text `json` (see the module comment for the
 * naming scheme and bounds).
 *
 * @returns undefined when `json` is not a JSON object.
 */
export function flattenJson(json: string, limits: FieldLimits): FlatFields | undefined {
  const scan = SCAN.reset(json, limits);
  try {
    scan.ws();
    if (json.charCodeAt(scan.pos) !== 0x7b) return undefined;
    scan.object("", "", 0);
    scan.ws();
    if (scan.pos !== json.length) return undefined;
  } catch (error) {
    if (error instanceof Invalid || error instanceof SyntaxError) return undefined;
    throw error;
  }
  let message: string | undefined;
  for (let rank = 0; rank < MESSAGE_KEYS.length; rank++) {
    const raw = scan.messages[rank];
    if (raw === undefined) continue;
    if (message === undefined) message = raw;
    else scan.leaf(MESSAGE_KEYS[rank]!, MESSAGE_KEYS[rank]!, raw, raw);
  }
  // One object shape for every line (no conditional spreads): absent values are undefined.
  return {
    pairs: scan.pairs,
    count: scan.count,
    overflow: scan.overflow === "" ? undefined : `{${scan.overflow}}`,
    message,
    level: scan.level,
    host: scan.host,
    time: scan.time,
  };
}
