/**
 * Response writers shared by the filter chain and the resource handlers. Every answer the server writes outside a
 * stream goes through writeJson or writeStatus, so error bodies are always a JSON `Status` with a matching code.
 */
import type { ServerResponse } from 'node:http';
import { StatusError } from '../../api/meta/status-error.js';
import type { Status } from '../../api/meta/types.js';
import { MEDIA_TYPE_JSON } from './media-type.js';

/**
 * writeJson answers `code` with `obj` serialised as JSON (a string or Buffer is sent as already-serialised JSON),
 * with Content-Type `contentType` (default `application/json`) and a Content-Length. If headers were already sent
 * (a stream broke mid-way), the response is ended without a body instead.
 */
export function writeJson(res: ServerResponse, code: number, obj: unknown, contentType: string = MEDIA_TYPE_JSON): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const body = typeof obj === 'string' || Buffer.isBuffer(obj) ? obj : JSON.stringify(obj);
  res.statusCode = code;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(body);
}

/**
 * writeStatus answers with a Status (or a StatusError's Status) using `status.code` as the HTTP code. A 429 or
 * 503 Status carrying `details.retryAfterSeconds` also gets a `Retry-After` header, as upstream sends.
 */
export function writeStatus(res: ServerResponse, status: StatusError | Status): void {
  const s = status instanceof StatusError ? status.status : status;
  const retry = s.details?.retryAfterSeconds;
  if (retry !== undefined && !res.headersSent) res.setHeader('Retry-After', String(retry));
  writeJson(res, s.code, s);
}
