/**
 * Ready-to-paste agent configurations, published as stack outputs. Tokens are
 * never filled in: each agent gets its own token from the operator.
 */
export const TOKEN_PLACEHOLDER = "<INGEST_TOKEN>";

export interface AgentConfigInputs {
  /** Host name of the endpoint (the NLB's DNS name or a CNAME to it). */
  readonly host: string;
  readonly region: string;
  readonly streamName: string;
}

export interface AgentConfigs {
  readonly logSender: string;
  readonly fluentBit: string;
  readonly fluentd: string;
}

export function agentConfigs({ host, region, streamName }: AgentConfigInputs): AgentConfigs {
  const url = `https://${host}/v1/logs`;
  return {
    logSender: [
      `# log-sender on a PC or server (apps/log-sender); the token comes from the environment.`,
      `# nginx access logs: use the token named in accessLogs.sources (e.g. "nginx") so they are parsed.`,
      `export LOG_SENDER_TOKEN='${TOKEN_PLACEHOLDER}'`,
      `log-sender tail /var/log/nginx/access.log --url ${url} --spool /var/spool/log-sender`,
    ].join("\n"),
    fluentBit: [
      "[OUTPUT]",
      "    Name         http",
      "    Match        *",
      `    Host         ${host}`,
      "    Port         443",
      "    URI          /v1/logs",
      "    Format       json_lines",
      "    compress     gzip",
      `    Header       Authorization Bearer ${TOKEN_PLACEHOLDER}`,
      "    tls          On",
      "    tls.verify   On",
      "    Retry_Limit  no_limits",
    ].join("\n"),
    fluentd: [
      "# nginx access log straight into the ingest stream (fluent-plugin-kinesis).",
      "<source>",
      "  @type tail",
      "  path /var/log/nginx/access.log",
      "  pos_file /var/lib/fluentd/nginx-access.pos",
      "  tag nginx.access",
      "  <parse>",
      "    @type none",
      "    message_key log",
      "  </parse>",
      "</source>",
      "<match nginx.access>",
      "  @type kinesis_streams",
      `  region ${region}`,
      `  stream_name ${streamName}`,
      "  <format>",
      "    @type json",
      "  </format>",
      "  <buffer>",
      "    flush_interval 1s",
      "    chunk_limit_size 1m",
      "    retry_forever true",
      "  </buffer>",
      "</match>",
    ].join("\n"),
  };
}
