/**
 * Request logging: one debug line per finished request, like upstream's httplog. Lines carry verb, method, path
 * (without query), user, code, latency, user agent, Audit-ID and source address; never headers, bodies, query
 * strings or credentials.
 */
import type { Logger } from '../../base/log/logger.js';

/** RequestLogEntry is what is known about a finished request. */
export interface RequestLogEntry {
  readonly auditId: string;
  readonly method: string;
  /** The decoded path without query. */
  readonly path: string;
  readonly verb: string;
  readonly username: string;
  readonly code: number;
  readonly durationMs: number;
  readonly userAgent: string;
  readonly remoteAddress: string;
}

/** logRequest writes one debug line for a finished request. */
export function logRequest(log: Logger, e: RequestLogEntry): void {
  log.debug('HTTP', {
    verb: e.verb,
    method: e.method,
    path: e.path,
    user: e.username,
    code: e.code,
    latency: `${e.durationMs.toFixed(1)}ms`,
    userAgent: e.userAgent,
    auditID: e.auditId,
    srcIP: e.remoteAddress,
  });
}
