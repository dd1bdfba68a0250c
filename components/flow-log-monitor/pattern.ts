/**
 * CloudWatch Logs filter patterns, evaluated offline.
 *
 * The flow-log monitor hands its patterns to CloudWatch as plain strings; a typo
 * there (a missing comma, `==`, a stray quote) is only reported by AWS at
 * `pulumi up`, or worse, accepted and never matching. This module parses the
 * patterns at `pulumi preview` time and lets tests prove, against real flow log
 * records, that each pattern matches what it is meant to match.
 *
 * Pure: no Pulumi, no I/O.
 *
 * Semantics follow the CloudWatch Logs "Filter and pattern syntax" guide
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html).
 */

/** The source design's metric filter: rejected ICMP (protocol 1) in the default v2 flow log format. */
export const PING_DENY_PATTERN =
  '[version, account, eni, source, destination, srcport, destport, protocol="1", packets, bytes, starttime, endtime, action="REJECT", flowlogstatus]';

/** A pattern CloudWatch would refuse, or one this matcher deliberately does not support. */
export class FilterPatternError extends Error {
  /**
   * @param pattern the pattern as given
   * @param position 0-based character offset of the problem in `pattern`
   * @param problem what is wrong, in words
   */
  constructor(
    readonly pattern: string,
    readonly position: number,
    readonly problem: string,
  ) {
    super(
      `Invalid filter pattern at position ${position}: ${problem}\n  ${pattern}\n  ${" ".repeat(position)}^`,
    );
    this.name = "FilterPatternError";
  }
}

/** A pattern parsed once and reusable for any number of log events. */
export interface CompiledFilterPattern {
  /** The pattern text it was compiled from. */
  readonly source: string;
  /** `space-delimited` for `[...]` patterns, `terms` for plain term patterns (including the empty pattern). */
  readonly kind: "space-delimited" | "terms";
  /** Named fields of a space-delimited pattern in order (CloudWatch can publish `$name` as the metric value); empty for term patterns. */
  readonly fieldNames: readonly string[];
  /** True when CloudWatch would count `logEvent` as a match. */
  matches(logEvent: string): boolean;
}

/**
 * Parses a CloudWatch Logs filter pattern once, for repeated matching or for
 * validating user-supplied patterns before deployment.
 *
 * Supported:
 * - **Space-delimited patterns** `[name, name op value, ...]`:
 *   - one slot per event field; an event matches only if it has exactly as many
 *     fields as the pattern has slots, unless one slot is `...`, which stands for
 *     any number (zero or more) of fields at that place;
 *   - an empty slot (`[a, , c]` or a trailing `,`) is an anonymous field, as in
 *     AWS's own `[..., request=*.html*, status_code=4*,]` example;
 *   - conditions `=` and `!=` on strings and numbers, `<`, `<=`, `>`, `>=` on numbers;
 *     a value is a number when it is unquoted and looks like one (`22`, `-1.5`, `1e3`),
 *     then the field must parse as a number too (`"01" = 1`); a field that is not a
 *     number (such as the `-` of NODATA records) satisfies no numeric condition,
 *     not even `!=`;
 *   - string values, bare or in double quotes (`\"` and `\\` escape inside quotes);
 *     a leading and/or trailing `*` is a wildcard (`4*`, `*html`, `*html*`, `*`);
 *     a `*` elsewhere is a literal character, as CloudWatch documents for JSON patterns;
 *   - `&&` and `||` between conditions on the slot's own field, with the usual
 *     precedence (`&&` binds tighter) and parentheses: `[w1=ERROR || w1=WARN, w2]`.
 * - **Term patterns**: `ERROR Exception` (all terms), `?ERROR ?WARN` (any term),
 *   `ERROR -Exiting` (exclude), quoted phrases `"Failed to process"`; matching is a
 *   case-sensitive substring search; the empty pattern matches every event.
 *
 * Log events are split as CloudWatch does: on runs of spaces or tabs, with a
 * field that starts with `"` running to the next `"` and one that starts with
 * `[` running to the next `]` (the delimiters are not part of the value; an
 * unterminated one runs to the end of the event).
 *
 * Rejected with a {@link FilterPatternError} naming the position:
 * - JSON patterns `{ $.field = ... }` and regular expressions `%...%` (not supported here;
 *   the flow-log filters are all space-delimited);
 * - more than one `...`, a condition on another field than its slot's,
 *   duplicate field names, `<`/`>` with a non-number, unknown operators such as `==`
 *   or `=!`, unquoted terms with characters other than letters, digits and `_`,
 *   and `?` terms mixed with plain or `-` terms (CloudWatch leaves that undefined).
 *
 * @param pattern the filter pattern text
 * @returns the compiled pattern
 * @throws FilterPatternError when the pattern is invalid or unsupported
 */
export function parseFilterPattern(pattern: string): CompiledFilterPattern {
  const start = skipSpaces(pattern, 0);
  const first = pattern[start];
  if (first === "{") {
    throw new FilterPatternError(
      pattern,
      start,
      "JSON filter patterns ({ $.field ... }) are not supported here; use a space-delimited pattern [field, ...]",
    );
  }
  if (first === "[") {
    return new SpaceDelimitedParser(pattern).parse();
  }
  return parseTermPattern(pattern);
}

/**
 * True when CloudWatch Logs would count `logEvent` as matching `pattern`
 * (see {@link parseFilterPattern} for the supported syntax). Parses the pattern
 * on every call; compile it once with `parseFilterPattern` when matching many events.
 *
 * @param pattern the filter pattern text
 * @param logEvent one log event message (one flow log record)
 * @throws FilterPatternError when the pattern is invalid or unsupported
 */
export function matchesFilterPattern(pattern: string, logEvent: string): boolean {
  return parseFilterPattern(pattern).matches(logEvent);
}

/**
 * Splits a log event into fields the way CloudWatch does for space-delimited
 * patterns: runs of spaces/tabs separate fields; `"…"` and `[…]` are one field
 * each, without their delimiters.
 *
 * @param logEvent one log event message
 * @returns the field values in order
 */
export function splitLogEvent(logEvent: string): string[] {
  const fields: string[] = [];
  let i = skipSpaces(logEvent, 0);
  while (i < logEvent.length) {
    const opener = logEvent[i];
    const closer = opener === '"' ? '"' : opener === "[" ? "]" : undefined;
    if (closer !== undefined) {
      const end = logEvent.indexOf(closer, i + 1);
      const stop = end === -1 ? logEvent.length : end;
      fields.push(logEvent.slice(i + 1, stop));
      i = stop + 1;
    } else {
      let end = i;
      while (end < logEvent.length && !isSpace(logEvent[end])) end += 1;
      fields.push(logEvent.slice(i, end));
      i = end;
    }
    i = skipSpaces(logEvent, i);
  }
  return fields;
}

// ---------------------------------------------------------------------------
// Shared helpers

type Predicate = (value: string) => boolean;

const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const FIELD_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isSpace(ch: string | undefined): boolean {
  return ch === " " || ch === "\t" || ch === "\n" || ch === "\r";
}

function skipSpaces(text: string, from: number): number {
  let i = from;
  while (i < text.length && isSpace(text[i])) i += 1;
  return i;
}

function parseNumber(text: string): number | undefined {
  return NUMBER_RE.test(text) ? Number(text) : undefined;
}

/** `=` semantics for a string value: exact, or a leading/trailing `*` wildcard. */
function stringEquals(expected: string): Predicate {
  const leading = expected.startsWith("*");
  const trailing = expected.endsWith("*");
  if (!leading && !trailing) return (v) => v === expected;
  const core = expected.replace(/^\*+/, "").replace(/\*+$/, "");
  if (leading && trailing) return (v) => v.includes(core);
  if (leading) return (v) => v.endsWith(core);
  return (v) => v.startsWith(core);
}

// ---------------------------------------------------------------------------
// Space-delimited patterns

type TokenKind = "[" | "]" | "," | "(" | ")" | "&&" | "||" | "op" | "word" | "quoted" | "end";

interface Token {
  readonly kind: TokenKind;
  /** Operator text, word text, or the unescaped content of a quoted string. */
  readonly text: string;
  readonly pos: number;
}

type Operator = "=" | "!=" | "<" | "<=" | ">" | ">=";

/** Characters that end a bare word in a space-delimited pattern. */
const WORD_STOP = new Set([",", "[", "]", "(", ")", '"', "=", "!", "<", ">", "&", "|"]);

interface Slot {
  readonly kind: "field" | "ellipsis";
  readonly test?: Predicate;
}

interface Condition {
  readonly field: string;
  readonly fieldPos: number;
  readonly test: Predicate;
}

/** Recursive-descent parser for `[slot, slot, ...]`. */
class SpaceDelimitedParser {
  private pos = 0;
  private token: Token;

  constructor(private readonly pattern: string) {
    this.token = this.lex();
  }

  parse(): CompiledFilterPattern {
    this.expect("[");
    const slots: Slot[] = [];
    const names: string[] = [];
    let ellipsis = -1;
    for (;;) {
      const slotStart = this.token.pos;
      const slot = this.parseSlot();
      if (slot.kind === "ellipsis") {
        if (ellipsis !== -1) {
          throw this.fail(slotStart, "only one '...' is supported in a pattern");
        }
        ellipsis = slots.length;
      }
      if (slot.name !== undefined) {
        if (names.includes(slot.name)) {
          throw this.fail(slotStart, `field name '${slot.name}' is used twice`);
        }
        names.push(slot.name);
      }
      slots.push(slot);
      if (this.token.kind === ",") {
        this.advance();
        continue;
      }
      this.expect("]");
      break;
    }
    if (this.token.kind !== "end") {
      throw this.fail(this.token.pos, "unexpected text after the closing ']'");
    }
    // A lone slot without a name that is not '...' can only be the empty slot of '[]'.
    if (slots.length === 1 && names.length === 0 && ellipsis === -1) {
      throw this.fail(0, "the pattern names no fields ('[]')");
    }
    return {
      source: this.pattern,
      kind: "space-delimited",
      fieldNames: names,
      matches: (logEvent) => matchSlots(slots, ellipsis, splitLogEvent(logEvent)),
    };
  }

  /** One slot: `...`, empty, a bare field name, or conditions on one field. */
  private parseSlot(): Slot & { readonly name?: string } {
    const t = this.token;
    if (t.kind === "," || t.kind === "]") return { kind: "field" };
    if (t.kind === "word" && t.text === "...") {
      this.advance();
      return { kind: "ellipsis" };
    }
    if (t.kind === "word") {
      const after = this.peek();
      if (after.kind === "," || after.kind === "]") {
        this.checkFieldName(t);
        this.advance();
        return { kind: "field", name: t.text };
      }
      if (after.kind === "word" || after.kind === "quoted" || after.kind === "end") {
        throw this.fail(
          after.pos,
          `expected ',' or ']' after '${t.text}' but found ${describe(after)} (missing comma?)`,
        );
      }
    }
    const conditions: Condition[] = [];
    const test = this.parseOr(conditions);
    const [firstCondition, ...rest] = conditions;
    // parseOr always reads at least one condition or throws.
    const name = (firstCondition as Condition).field;
    const stray = rest.find((c) => c.field !== name);
    if (stray !== undefined) {
      throw this.fail(
        stray.fieldPos,
        `condition on '${stray.field}' inside the slot of '${name}'; each slot may only test its own field`,
      );
    }
    return { kind: "field", name, test };
  }

  private parseOr(conditions: Condition[]): Predicate {
    const parts = [this.parseAnd(conditions)];
    while (this.token.kind === "||") {
      this.advance();
      parts.push(this.parseAnd(conditions));
    }
    return parts.length === 1 ? (parts[0] as Predicate) : (v) => parts.some((p) => p(v));
  }

  private parseAnd(conditions: Condition[]): Predicate {
    const parts = [this.parsePrimary(conditions)];
    while (this.token.kind === "&&") {
      this.advance();
      parts.push(this.parsePrimary(conditions));
    }
    return parts.length === 1 ? (parts[0] as Predicate) : (v) => parts.every((p) => p(v));
  }

  private parsePrimary(conditions: Condition[]): Predicate {
    if (this.token.kind === "(") {
      this.advance();
      const inner = this.parseOr(conditions);
      this.expect(")");
      return inner;
    }
    const field = this.token;
    if (field.kind !== "word") {
      throw this.fail(field.pos, `expected a field name but found ${describe(field)}`);
    }
    this.checkFieldName(field);
    this.advance();
    const op = this.token;
    if (op.kind !== "op") {
      throw this.fail(op.pos, `expected an operator (=, !=, <, <=, >, >=) after '${field.text}'`);
    }
    this.advance();
    const value = this.token;
    if (value.kind !== "word" && value.kind !== "quoted") {
      throw this.fail(value.pos, `expected a value after '${op.text}' but found ${describe(value)}`);
    }
    this.advance();
    const test = this.condition(op.text as Operator, value);
    conditions.push({ field: field.text, fieldPos: field.pos, test });
    return test;
  }

  private condition(op: Operator, value: Token): Predicate {
    if (value.kind === "word" && value.text.includes("%")) {
      throw this.fail(value.pos, "regular expressions (%...%) are not supported here");
    }
    const number = value.kind === "word" ? parseNumber(value.text) : undefined;
    if (number !== undefined) return numericCondition(op, number);
    if (op !== "=" && op !== "!=") {
      throw this.fail(value.pos, `operator '${op}' needs a number but found ${describe(value)}`);
    }
    const equals = stringEquals(value.text);
    return op === "=" ? equals : (v) => !equals(v);
  }

  private checkFieldName(t: Token): void {
    if (!FIELD_NAME_RE.test(t.text)) {
      throw this.fail(
        t.pos,
        `'${t.text}' is not a valid field name (letters, digits and '_', not starting with a digit)`,
      );
    }
  }

  private expect(kind: TokenKind): void {
    if (this.token.kind !== kind) {
      const wanted = kind === "]" ? "',' or ']'" : `'${kind}'`;
      throw this.fail(this.token.pos, `expected ${wanted} but found ${describe(this.token)}`);
    }
    this.advance();
  }

  private advance(): void {
    this.token = this.lex();
  }

  private peek(): Token {
    const saved = this.pos;
    const next = this.lex();
    this.pos = saved;
    return next;
  }

  private fail(position: number, problem: string): FilterPatternError {
    return new FilterPatternError(this.pattern, position, problem);
  }

  private lex(): Token {
    const p = this.pattern;
    const i = skipSpaces(p, this.pos);
    const ch = p[i];
    const two = p.slice(i, i + 2);
    const emit = (kind: TokenKind, text: string, length: number): Token => {
      this.pos = i + length;
      return { kind, text, pos: i };
    };
    if (ch === undefined) return emit("end", "", 0);
    if (two === "&&" || two === "||") return emit(two, two, 2);
    if (two === "!=" || two === "<=" || two === ">=") return emit("op", two, 2);
    if (two === "==" || two === "=!") {
      throw this.fail(i, `unknown operator '${two}' (use '=' or '!=')`);
    }
    if (ch === "=" || ch === "<" || ch === ">") return emit("op", ch, 1);
    if (ch === "[" || ch === "]" || ch === "," || ch === "(" || ch === ")") return emit(ch, ch, 1);
    if (ch === '"') return this.lexQuoted(i);
    if (WORD_STOP.has(ch)) {
      const hint = ch === "&" ? " (did you mean '&&'?)" : ch === "|" ? " (did you mean '||'?)" : "";
      throw this.fail(i, `unexpected '${ch}'${hint}`);
    }
    let end = i;
    while (end < p.length && !isSpace(p[end]) && !WORD_STOP.has(p[end] as string)) end += 1;
    return emit("word", p.slice(i, end), end - i);
  }

  private lexQuoted(start: number): Token {
    const p = this.pattern;
    let text = "";
    for (let i = start + 1; i < p.length; i += 1) {
      const ch = p[i] as string;
      if (ch === "\\" && i + 1 < p.length) {
        i += 1;
        text += p[i];
      } else if (ch === '"') {
        this.pos = i + 1;
        return { kind: "quoted", text, pos: start };
      } else {
        text += ch;
      }
    }
    throw this.fail(start, "unterminated quoted string");
  }
}

function describe(t: Token): string {
  if (t.kind === "end") return "the end of the pattern";
  if (t.kind === "quoted") return `"${t.text}"`;
  return `'${t.text}'`;
}

function numericCondition(op: Operator, expected: number): Predicate {
  const compare: Record<Operator, (a: number) => boolean> = {
    "=": (a) => a === expected,
    "!=": (a) => a !== expected,
    "<": (a) => a < expected,
    "<=": (a) => a <= expected,
    ">": (a) => a > expected,
    ">=": (a) => a >= expected,
  };
  const test = compare[op];
  return (v) => {
    const actual = parseNumber(v);
    return actual !== undefined && test(actual);
  };
}

function matchSlots(slots: readonly Slot[], ellipsis: number, fields: readonly string[]): boolean {
  const slotMatches = (slot: Slot | undefined, value: string | undefined): boolean =>
    value !== undefined && (slot?.test === undefined || slot.test(value));
  if (ellipsis === -1) {
    return fields.length === slots.length && slots.every((slot, i) => slotMatches(slot, fields[i]));
  }
  const tail = slots.length - ellipsis - 1;
  if (fields.length < ellipsis + tail) return false;
  for (let i = 0; i < ellipsis; i += 1) {
    if (!slotMatches(slots[i], fields[i])) return false;
  }
  for (let j = 0; j < tail; j += 1) {
    if (!slotMatches(slots[ellipsis + 1 + j], fields[fields.length - tail + j])) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Term patterns

interface Term {
  readonly mode: "all" | "any" | "exclude";
  readonly text: string;
  readonly pos: number;
}

const BARE_TERM_RE = /^[A-Za-z0-9_]+$/;

function parseTermPattern(pattern: string): CompiledFilterPattern {
  const terms: Term[] = [];
  let i = skipSpaces(pattern, 0);
  while (i < pattern.length) {
    const termStart = i;
    let mode: Term["mode"] = "all";
    if (pattern[i] === "?" || pattern[i] === "-") {
      mode = pattern[i] === "?" ? "any" : "exclude";
      // AWS's own example writes `"ERROR" - "Exiting"`, so a space may follow the sign.
      i = skipSpaces(pattern, i + 1);
    }
    let text: string;
    if (pattern[i] === '"') {
      const end = pattern.indexOf('"', i + 1);
      if (end === -1) throw new FilterPatternError(pattern, i, "unterminated quoted term");
      text = pattern.slice(i + 1, end);
      i = end + 1;
    } else {
      let end = i;
      while (end < pattern.length && !isSpace(pattern[end])) end += 1;
      text = pattern.slice(i, end);
      if (text.includes("%")) {
        throw new FilterPatternError(pattern, i, "regular expressions (%...%) are not supported here");
      }
      if (!BARE_TERM_RE.test(text)) {
        throw new FilterPatternError(
          pattern,
          i,
          text === ""
            ? "expected a term after the sign"
            : `term '${text}' has characters other than letters, digits and '_'; put it in double quotes`,
        );
      }
      i = end;
    }
    terms.push({ mode, text, pos: termStart });
    i = skipSpaces(pattern, i);
  }
  const anyTerms = terms.filter((t) => t.mode === "any");
  const mixed = terms.find((t) => t.mode !== "any");
  if (anyTerms.length > 0 && mixed !== undefined) {
    throw new FilterPatternError(
      pattern,
      mixed.pos,
      "'?' (any-of) terms cannot be combined with plain or '-' terms",
    );
  }
  return {
    source: pattern,
    kind: "terms",
    fieldNames: [],
    matches: (logEvent) =>
      anyTerms.length > 0
        ? anyTerms.some((t) => logEvent.includes(t.text))
        : terms.every((t) => logEvent.includes(t.text) === (t.mode === "all")),
  };
}
