/**
 * Request logging: one line per finished request at debug level, and errors that reach the top of the chain.
 * Lines carry method, path, verb, user, code, duration and Audit-ID; never headers, bodies or credentials.
 */

/** ApiServerLog is where the server writes its log lines (the composition root plugs in the logger). */
export interface ApiServerLog {
  /** One line per finished request. */
  debug(line: string): void;
  /** Failures of the server itself: handler exceptions, authenticator errors. */
  error(line: string): void;
}

/** RequestLogEntry is what is known about a finished request. */
export interface RequestLogEntry {
  readonly auditId: string;
  readonly method: string;
  /** The path without query: queries may carry selectors and names but are kept out for brevity. */
  readonly path: string;
  readonly verb: string;
  readonly username: string;
  readonly code: number;
  readonly durationMs: number;
  readonly userAgent: string;
  readonly remoteAddress: string;
}

/** formatRequestLogLine renders an entry as one `key=value` line (values with spaces quoted). */
export function formatRequestLogLine(e: RequestLogEntry): string {
  const q = (v: string): string => JSON.stringify(v);
  return (
    `HTTP verb=${q(e.verb)} method=${e.method} path=${q(e.path)} user=${q(e.username)} code=${e.code}` +
    ` latency=${e.durationMs.toFixed(1)}ms userAgent=${q(e.userAgent)} audit-id=${q(e.auditId)} srcIP=${q(e.remoteAddress)}`
  );
}

/** SILENT_LOG drops debug lines and writes errors to stderr: the default when no log is configured. */
export const SILENT_LOG: ApiServerLog = {
  debug: () => undefined,
  error: (line) => void process.stderr.write(`${line}\n`),
};
