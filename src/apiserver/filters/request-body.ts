/**
 * Reading request bodies with bounds: at most `limitBytes` are buffered (a larger Content-Length is refused before
 * reading, a larger streamed body as soon as it crosses the limit), and a body that does not arrive within
 * `timeoutMs` is refused, so slow clients cannot hold a request open forever.
 */
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../../base/clock/clock.js';
import { newStatus, requestEntityTooLarge, StatusError } from '../../api/meta/status-error.js';

/** ReadBodyOptions bounds readRequestBody. */
export interface ReadBodyOptions {
  readonly limitBytes: number;
  readonly timeoutMs: number;
  readonly clock: Clock;
}

/** hasRequestBody tells whether a request announces a body (Content-Length > 0 or chunked transfer). */
export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/**
 * readRequestBody resolves with the whole body. Rejects with StatusError 413 RequestEntityTooLarge beyond
 * `limitBytes`, 408 Timeout when the body is not complete within `timeoutMs`, and 400 when the client aborts.
 * After a rejection the rest of the body is left unread: the caller should close the connection.
 */
export function readRequestBody(req: IncomingMessage, options: ReadBodyOptions): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > options.limitBytes) {
    return Promise.reject(requestEntityTooLarge(options.limitBytes));
  }
  if (!hasRequestBody(req)) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: StatusError | undefined): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('aborted', onAbort);
      if (err) {
        req.pause();
        reject(err);
      } else {
        resolve(chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, size));
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > options.limitBytes) {
        chunks.length = 0;
        finish(requestEntityTooLarge(options.limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onAbort = (): void => finish(new StatusError(newStatus(400, 'BadRequest', 'Cannot read request body: the client closed the connection')));
    const timer = options.clock.setTimer(options.timeoutMs, () =>
      finish(new StatusError(newStatus(408, 'Timeout', `Cannot read request body: not complete after ${Math.round(options.timeoutMs / 1000)}s`))),
    );
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('aborted', onAbort);
  });
}
