/** The remote-write URL of a workspace from its Prometheus endpoint (which ends in `/`). */
export function remoteWriteUrl(prometheusEndpoint: string): string {
  return `${prometheusEndpoint.replace(/\/?$/, "/")}api/v1/remote_write`;
}
