/**
 * VPC flow log formats and records: the flow log's `logFormat` string
 * (`${version} ${account-id} …`) → an ordered field list, and one record line
 * (space-separated values in that order) → a typed `vpcflow` document.
 *
 * Field names, versions and value types follow AWS's "Flow log records" page
 * (Amazon VPC User Guide, "Available fields"; the types are the page's Parquet
 * types: INT_32 → integer, INT_64 → long, STRING → keyword, addresses → ip).
 * A `-` value means "does not apply to this record" and leaves the field out.
 */
import { isIP } from "node:net";

/** How a field's text becomes a document value, and its OpenSearch type. */
export type FlowFieldKind = "integer" | "long" | "date" | "ip" | "keyword";

/** One field a flow log record can carry. */
export interface FlowField {
  /** AWS's name, as written in `logFormat` (`account-id`). */
  readonly name: string;
  /** The document key: AWS's name in snake_case (`account_id`). */
  readonly key: string;
  /** The flow log version that introduced the field. */
  readonly version: number;
  /** `date` fields are epoch seconds in the record, ISO-8601 in the document. */
  readonly kind: FlowFieldKind;
}

const field = (name: string, version: number, kind: FlowFieldKind): FlowField => ({
  name,
  key: name.replace(/-/g, "_"),
  version,
  kind,
});

/** Every field of flow log versions 2–8, in the order of AWS's table. */
export const FLOW_FIELDS: readonly FlowField[] = [
  field("version", 2, "integer"),
  field("account-id", 2, "keyword"),
  field("interface-id", 2, "keyword"),
  field("srcaddr", 2, "ip"),
  field("dstaddr", 2, "ip"),
  field("srcport", 2, "integer"),
  field("dstport", 2, "integer"),
  field("protocol", 2, "integer"),
  field("packets", 2, "long"),
  field("bytes", 2, "long"),
  field("start", 2, "date"),
  field("end", 2, "date"),
  field("action", 2, "keyword"),
  field("log-status", 2, "keyword"),
  field("vpc-id", 3, "keyword"),
  field("subnet-id", 3, "keyword"),
  field("instance-id", 3, "keyword"),
  field("tcp-flags", 3, "integer"),
  field("type", 3, "keyword"),
  field("pkt-srcaddr", 3, "ip"),
  field("pkt-dstaddr", 3, "ip"),
  field("region", 4, "keyword"),
  field("az-id", 4, "keyword"),
  field("sublocation-type", 4, "keyword"),
  field("sublocation-id", 4, "keyword"),
  field("pkt-src-aws-service", 5, "keyword"),
  field("pkt-dst-aws-service", 5, "keyword"),
  field("flow-direction", 5, "keyword"),
  field("traffic-path", 5, "integer"),
  field("ecs-cluster-arn", 7, "keyword"),
  field("ecs-cluster-name", 7, "keyword"),
  field("ecs-container-instance-arn", 7, "keyword"),
  field("ecs-container-instance-id", 7, "keyword"),
  field("ecs-container-id", 7, "keyword"),
  field("ecs-second-container-id", 7, "keyword"),
  field("ecs-service-name", 7, "keyword"),
  field("ecs-task-definition-arn", 7, "keyword"),
  field("ecs-task-arn", 7, "keyword"),
  field("ecs-task-id", 7, "keyword"),
  field("reject-reason", 8, "keyword"),
];

const FIELDS_BY_NAME: ReadonlyMap<string, FlowField> = new Map(FLOW_FIELDS.map((f) => [f.name, f]));

/** AWS's default format: the version 2 fields in table order (it cannot be changed, only replaced). */
export const DEFAULT_FLOW_LOG_FORMAT = FLOW_FIELDS.filter((f) => f.version === 2)
  .map((f) => `\${${f.name}}`)
  .join(" ");

/** Largest value of an INT_32 field. */
const INT32_MAX = 2 ** 31 - 1;

/** Bounds of the fields whose range the protocol fixes: a value outside is not a flow log value. */
const RANGES: Readonly<Record<string, readonly [number, number]>> = {
  srcport: [0, 65535],
  dstport: [0, 65535],
  protocol: [0, 255],
};

/** A parsed `logFormat`: the fields of each record, in order. */
export interface FlowLogFormat {
  /** The `logFormat` string it was parsed from. */
  readonly source: string;
  readonly fields: readonly FlowField[];
}

/** A `logFormat` that is not one this parser can read; {@link problems} lists every fault at once. */
export class FlowLogFormatError extends Error {
  override readonly name = "FlowLogFormatError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid flow log format: ${problems.join("; ")}`);
  }
}

/**
 * Parses a flow log's `logFormat` (`${version} ${account-id} …`, separated by
 * spaces) into its field list.
 *
 * @throws FlowLogFormatError listing every token that is not `${name}`, every
 *   unknown field name (with the known ones), and every repeated field.
 */
export function parseLogFormat(format: string): FlowLogFormat {
  const tokens = format
    .trim()
    .split(/\s+/)
    .filter((token) => token !== "");
  if (tokens.length === 0)
    throw new FlowLogFormatError(["the format is empty: it needs at least one ${field}"]);
  const malformed: string[] = [];
  const unknown: string[] = [];
  const repeated = new Set<string>();
  const seen = new Set<string>();
  const fields: FlowField[] = [];
  for (const token of tokens) {
    const match = /^\$\{([^${}]+)\}$/.exec(token);
    if (match === null) {
      malformed.push(token);
      continue;
    }
    const name = match[1] as string;
    const known = FIELDS_BY_NAME.get(name);
    if (known === undefined) {
      unknown.push(name);
      continue;
    }
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
    fields.push(known);
  }
  const problems: string[] = [];
  if (malformed.length > 0) problems.push(`not of the form \${field}: ${malformed.join(", ")}`);
  if (unknown.length > 0) {
    problems.push(
      `unknown field${unknown.length === 1 ? "" : "s"}: ${unknown.join(", ")} ` +
        `(known fields: ${FLOW_FIELDS.map((f) => f.name).join(", ")})`,
    );
  }
  if (repeated.size > 0) problems.push(`repeated fields: ${[...repeated].join(", ")}`);
  if (problems.length > 0) throw new FlowLogFormatError(problems);
  return { source: format, fields };
}

/** IANA protocol numbers → the names dashboards show; others are shown as their number. */
export const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [0, "HOPOPT"],
  [1, "ICMP"],
  [2, "IGMP"],
  [4, "IPv4"],
  [6, "TCP"],
  [8, "EGP"],
  [9, "IGP"],
  [17, "UDP"],
  [41, "IPv6"],
  [43, "IPv6-Route"],
  [44, "IPv6-Frag"],
  [46, "RSVP"],
  [47, "GRE"],
  [50, "ESP"],
  [51, "AH"],
  [58, "ICMPv6"],
  [59, "IPv6-NoNxt"],
  [60, "IPv6-Opts"],
  [88, "EIGRP"],
  [89, "OSPF"],
  [94, "IPIP"],
  [97, "ETHERIP"],
  [103, "PIM"],
  [108, "IPComp"],
  [112, "VRRP"],
  [115, "L2TP"],
  [132, "SCTP"],
  [136, "UDPLite"],
  [137, "MPLS-in-IP"],
]);

/** The name of IANA protocol `protocol`, or the number as text when it has none here. */
export function protocolName(protocol: number): string {
  return PROTOCOL_NAMES.get(protocol) ?? String(protocol);
}

/**
 * A `vpcflow` document: the record's fields under their snake_case keys
 * (absent when the record says `-`), plus `@timestamp` (= `start`) and
 * `protocol_name`. The v2 fields are spelled out; later ones are in the index
 * signature.
 */
export interface FlowDocument {
  "@timestamp"?: string;
  version?: number;
  account_id?: string;
  interface_id?: string;
  srcaddr?: string;
  dstaddr?: string;
  srcport?: number;
  dstport?: number;
  protocol?: number;
  protocol_name?: string;
  packets?: number;
  bytes?: number;
  start?: string;
  end?: string;
  action?: string;
  log_status?: string;
  log_group?: string;
  log_stream?: string;
  [key: string]: string | number | undefined;
}

/** The outcome of one record line: a document, or why there is none (the line then goes to the failed prefix). */
export type RecordResult =
  { readonly ok: true; readonly document: FlowDocument } | { readonly ok: false; readonly reason: string };

/** Why `text` is not a value of `f`, or its value. */
function fieldValue(f: FlowField, text: string): { value: string | number } | { reason: string } {
  switch (f.kind) {
    case "keyword":
      return { value: text };
    case "ip":
      return isIP(text) === 0
        ? { reason: `${f.name} is not an IP address: ${JSON.stringify(text)}` }
        : { value: text };
    case "integer":
    case "long":
    case "date": {
      // Digits only: Number() would also accept "1e3", "0x1f", " 7" and "".
      if (!/^\d{1,19}$/.test(text)) return { reason: `${f.name} is not a number: ${JSON.stringify(text)}` };
      const value = Number(text);
      const max = f.kind === "integer" ? INT32_MAX : Number.MAX_SAFE_INTEGER;
      const [low, high] = RANGES[f.key] ?? [0, max];
      if (value < low || value > high)
        return { reason: `${f.name} is out of range [${low}, ${high}]: ${text}` };
      if (f.kind !== "date") return { value };
      const time = new Date(value * 1000);
      // Epoch seconds past year 9999 have no ISO-8601 form OpenSearch accepts.
      if (Number.isNaN(time.getTime()) || time.getUTCFullYear() > 9999)
        return { reason: `${f.name} is not an epoch time in seconds: ${text}` };
      return { value: time.toISOString() };
    }
  }
}

/**
 * Parses one flow log record line of `format` into a document. Values are
 * separated by single spaces (runs of whitespace are tolerated, the ends
 * trimmed); `-` leaves a field out, so NODATA/SKIPDATA records (most fields
 * `-`) still give a document with their `log_status`.
 *
 * Never throws: a line with the wrong number of values, or a value that is
 * not of its field's type, gives `ok: false` and the reason.
 */
export function parseRecord(line: string, format: FlowLogFormat): RecordResult {
  const values = line.trim().split(/\s+/);
  const { fields } = format;
  if (values.length !== fields.length || values[0] === "") {
    const count = values[0] === "" ? 0 : values.length;
    return {
      ok: false,
      reason: `expected ${fields.length} space-separated values (the flow log format), got ${count}`,
    };
  }
  const document: FlowDocument = {};
  const reasons: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as FlowField;
    const text = values[i] as string;
    if (text === "-") continue;
    const parsed = fieldValue(f, text);
    if ("reason" in parsed) reasons.push(parsed.reason);
    else document[f.key] = parsed.value;
  }
  if (reasons.length > 0) return { ok: false, reason: reasons.join("; ") };
  if (document.start !== undefined) document["@timestamp"] = document.start;
  if (document.protocol !== undefined) document.protocol_name = protocolName(document.protocol);
  return { ok: true, document };
}
