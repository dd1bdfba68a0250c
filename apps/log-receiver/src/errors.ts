/**
 * An error that maps to one HTTP response. `reason` is a short stable code: it
 * is the `error` field of the JSON body and the `reason` label of the rejects
 * metric, so dashboards and clients can tell failures apart without parsing
 * the human message.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}
