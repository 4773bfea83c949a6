/**
 * RequestScope: everything a resource handler gets from the filter chain. The filter chain (server.ts and
 * filters/) has already authenticated and authorized the request, parsed RequestInfo, enforced the in-flight
 * limit, and read the body (at most MAX_REQUEST_BODY_BYTES; larger bodies were answered 413).
 *
 * Contract for handlers: either write the whole response to `res` (success bodies, watch streams), or throw a
 * StatusError (src/api/meta/status-error.ts) BEFORE writing anything; the chain writes that Status with its code
 * (and any other thrown error as a 500 InternalError Status without a stack). A handler never leaves `res` open
 * unless it is streaming, and it ends streams when `res` closes or the server shuts down (`signal`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestInfo, UserInfo } from './request-info.js';

/** MAX_REQUEST_BODY_BYTES: upstream's 3 MiB request size limit. */
export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

/** RequestScope is one resource request in flight. */
export interface RequestScope {
  readonly info: RequestInfo;
  readonly user: UserInfo;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** The raw request body (empty for GET/DELETE without body). */
  readonly body: Buffer;
  /** Aborted when the client goes away or the server shuts down. */
  readonly signal: AbortSignal;
  /** Annotates the request's audit event; absent when the request is not audited. */
  readonly annotateAudit?: (key: string, value: string) => void;
}

/** ResourceHandler serves resource requests (everything under /api/v1 and /apis/<group>/<version>). */
export interface ResourceHandler {
  handle(scope: RequestScope): Promise<void>;
}
