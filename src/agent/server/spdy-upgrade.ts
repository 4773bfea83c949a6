/**
 * The HTTP/1.1 handshake that turns a connection into a raw SPDY/3.1 session, as client-go's SPDY round tripper
 * expects it: the client sends `Connection: Upgrade`, `Upgrade: SPDY/3.1` and the subprotocols it speaks in
 * `X-Stream-Protocol-Version` (one header each, or comma-separated); the server answers `101 Switching Protocols`
 * naming the one it picked (the client's most preferred that the server supports). No common subprotocol is a
 * 403 that lists what the server accepts in `X-Accepted-Stream-Protocol-Versions`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export const SPDY_UPGRADE = 'SPDY/3.1';
export const STREAM_PROTOCOL_HEADER = 'x-stream-protocol-version';

/** isSpdyUpgrade tells a raw SPDY upgrade request from a WebSocket one. */
export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === SPDY_UPGRADE.toLowerCase();
}

/** isWebSocketUpgrade tells a WebSocket upgrade request. */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/** clientStreamProtocols lists the subprotocols in X-Stream-Protocol-Version, in the client's order. */
export function clientStreamProtocols(req: IncomingMessage): string[] {
  const raw = req.headers[STREAM_PROTOCOL_HEADER];
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/**
 * negotiateStreamProtocol picks the client's most preferred subprotocol the server supports; '' when the client
 * named none (legacy clients, which then get the server's oldest behaviour); undefined when nothing matches.
 */
export function negotiateStreamProtocol(req: IncomingMessage, supported: readonly string[]): string | undefined {
  const offered = clientStreamProtocols(req);
  if (offered.length === 0) return '';
  return offered.find((p) => supported.includes(p));
}

/** rejectUpgrade answers an upgrade request with a plain-text HTTP error and closes the socket. */
export function rejectUpgrade(socket: Duplex, code: number, message: string, headers: Readonly<Record<string, string>> = {}): void {
  const reason: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' };
  const body = `${message}\n`;
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${code} ${reason[code] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`);
}

/**
 * acceptSpdyUpgrade completes the handshake for `protocol` ('' = none named) and returns the socket, ready to
 * carry a SpdySession; bytes the client sent after its request (`head`) are put back in front.
 */
export function acceptSpdyUpgrade(socket: Duplex, head: Buffer, protocol: string): Duplex {
  const version = protocol === '' ? '' : `X-Stream-Protocol-Version: ${protocol}\r\n`;
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SPDY_UPGRADE}\r\n${version}\r\n`);
  if (head.length > 0) socket.unshift(head);
  return socket;
}

/** rejectNegotiation answers 403 to a client with no subprotocol in common with us. */
export function rejectNegotiation(socket: Duplex, req: IncomingMessage, supported: readonly string[]): void {
  rejectUpgrade(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports [${clientStreamProtocols(req).join(' ')}], server supports [${supported.join(' ')}]`, {
    'X-Accepted-Stream-Protocol-Versions': supported.join(', '),
  });
}
