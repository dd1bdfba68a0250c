/** Structured logging of the handlers (pino to stdout, which Lambda sends to CloudWatch Logs). Never given log lines. */
import pino from "pino";

/** The subset of a pino logger the handlers use. */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Discards everything (the default of the handler factories, so tests stay quiet). */
export const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A pino logger tagged with the app name. */
export function createLogger(level: string, app: string): Logger {
  return pino({ level, base: { app } });
}

/** `Name: message` of an error, for log fields. */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
