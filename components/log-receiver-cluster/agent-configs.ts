/**
 * Ready-to-paste agent configurations, published as stack outputs. Tokens are
 * never filled in: each agent gets its own token from the operator.
 */
export const TOKEN_PLACEHOLDER = "<INGEST_TOKEN>";
/** The stack output holding the self-signed certificate agents must trust. */
export const CA_CERTIFICATE_OUTPUT = "receiverCaCertificatePem";

export interface AgentConfigInputs {
  /** Host name of the endpoint: the one the certificate covers (receiver.domainName, else the NLB's name). */
  readonly host: string;
  readonly region: string;
  readonly streamName: string;
  /** The endpoint's certificate is self-signed: agents are told to trust it (`--ca`, `tls.ca_file`). Default: false. */
  readonly selfSignedCertificate?: boolean;
}

export interface AgentConfigs {
  readonly logSender: string;
  readonly fluentBit: string;
  readonly fluentd: string;
}

export function agentConfigs({
  host,
  region,
  streamName,
  selfSignedCertificate = false,
}: AgentConfigInputs): AgentConfigs {
  const url = `https://${host}/v1/logs`;
  // A self-signed endpoint is trusted explicitly, never by turning verification off.
  const trust = (file: string): string[] =>
    selfSignedCertificate
      ? [`# self-signed endpoint (dev): pulumi stack output ${CA_CERTIFICATE_OUTPUT} > ${file}`]
      : [];
  const senderCa = "/etc/log-sender/receiver-ca.pem";
  const fluentBitCa = "/etc/fluent-bit/receiver-ca.pem";
  return {
    logSender: [
      `# log-sender on a PC or server (apps/log-sender); the token comes from the environment.`,
      `# nginx access logs: use the token named in accessLogs.sources (e.g. "nginx") so they are parsed.`,
      ...trust(senderCa),
      `export LOG_SENDER_TOKEN='${TOKEN_PLACEHOLDER}'`,
      `log-sender tail /var/log/nginx/access.log --url ${url} --spool /var/spool/log-sender` +
        (selfSignedCertificate ? ` --ca ${senderCa}` : ""),
    ].join("\n"),
    fluentBit: [
      ...trust(fluentBitCa),
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
      ...(selfSignedCertificate ? [`    tls.ca_file  ${fluentBitCa}`] : []),
      "    Retry_Limit  no_limits",
    ].join("\n"),
    fluentd: [
      "# nginx access log straight into the ingest stream (fluent-plugin-kinesis): AWS credentials,",
      `# no HTTPS endpoint. Hosts without them use log-sender or Fluent Bit with https://${host}.`,
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
