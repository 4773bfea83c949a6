/**
 * Response writers shared by the filter chain and the resource handlers. Every answer the server writes outside a
 * stream goes through writeJson or writeStatus, so error bodies are always a JSON `Status` with a matching code.
 */
import { JsonParts } from './object-json.js';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
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
  if (obj instanceof JsonParts) {
    writeParts(res, code, obj, contentType);
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

/**
 * EncodedStatus is a Status serialised once, for an answer the server sends over and over: the flow-control 429, which
 * under a flood is most of what the server writes.
 */
export interface EncodedStatus {
  readonly code: number;
  readonly body: Buffer;
  /** The Retry-After header's value, when the Status carries details.retryAfterSeconds. */
  readonly retryAfter: string | undefined;
}

/** encodeStatus serialises a Status for writeEncodedStatus. */
export function encodeStatus(status: StatusError | Status): EncodedStatus {
  const s = status instanceof StatusError ? status.status : status;
  const retry = s.details?.retryAfterSeconds;
  return { code: s.code, body: Buffer.from(JSON.stringify(s)), retryAfter: retry === undefined ? undefined : String(retry) };
}

/** writeEncodedStatus answers exactly as writeStatus would with the Status `encoded` was made from. */
export function writeEncodedStatus(res: ServerResponse, encoded: EncodedStatus): void {
  if (encoded.retryAfter !== undefined && !res.headersSent) res.setHeader('Retry-After', encoded.retryAfter);
  writeJson(res, encoded.code, encoded.body);
}

/**
 * writeStatusToSocket answers on a raw socket (an upgrade request or a request Node could not parse) with a
 * complete HTTP/1.1 response carrying the Status, then ends the socket. `headers` are added as given.
 */
export function writeStatusToSocket(socket: Duplex, status: StatusError | Status, headers: Readonly<Record<string, string>> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const s = status instanceof StatusError ? status.status : status;
  const body = JSON.stringify(s);
  const lines = [
    `HTTP/1.1 ${s.code} ${STATUS_CODES[s.code] ?? 'Unknown'}`,
    `Content-Type: ${MEDIA_TYPE_JSON}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  if (s.details?.retryAfterSeconds !== undefined) lines.push(`Retry-After: ${s.details.retryAfterSeconds}`);
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/** Bodies up to this size are written in one piece; larger ones are streamed in STREAM_CHUNK_BYTES pieces. */
const STREAM_THRESHOLD_BYTES = 1024 * 1024;
const STREAM_CHUNK_BYTES = 256 * 1024;

/**
 * writeParts answers with a body given as parts. A large body (a LIST of thousands of objects) is written a chunk at
 * a time, each after the previous one drained: TLS encrypts one chunk while the client is already reading the one
 * before (instead of encrypting the whole body before the first byte leaves), and the body is never copied into one
 * big buffer. A body filled on demand (JsonParts.filled) has its chunks made only as they are written, so at most a
 * few are alive at once. Content-Length is known up front, so the response is not chunk-encoded.
 */
function writeParts(res: ServerResponse, code: number, body: JsonParts, contentType: string): void {
  res.statusCode = code;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', body.byteLength);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (body.byteLength <= STREAM_THRESHOLD_BYTES) {
    res.end(body.toBuffer());
    return;
  }
  // A filled body's chunks are made as they are taken; given parts are gathered into chunks of STREAM_CHUNK_BYTES.
  const chunks = body.isFilled ? body.chunks() : gatheredChunks(body.parts);
  const pump = (): void => {
    for (;;) {
      if (res.destroyed) return;
      const r = chunks.next();
      if (r.done === true) break;
      if (!res.write(r.value)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

/** gatheredChunks yields `parts` joined into chunks of about STREAM_CHUNK_BYTES (a part alone when it is that big). */
function* gatheredChunks(parts: readonly Buffer[]): Generator<Buffer, void, undefined> {
  let next = 0;
  while (next < parts.length) {
    const start = next;
    let size = 0;
    while (next < parts.length && size < STREAM_CHUNK_BYTES) size += parts[next++]!.length;
    yield next - start === 1 ? parts[start]! : Buffer.concat(parts.slice(start, next) as Buffer[], size);
  }
}
