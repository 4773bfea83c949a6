/**
 * Test clients for the node's streaming endpoints: a raw SPDY upgrade and the port-forward stream pair as kubectl
 * opens it. Only tests import this (dependency rule: `/testing/`).
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { SpdySession } from '../spdy/session.js';

/** upgradeToSpdy completes a raw SPDY upgrade on `req` (not yet ended) and starts a client session. */
export function upgradeToSpdy(req: ClientRequest): Promise<{ session: SpdySession; response: IncomingMessage; socket: Duplex }> {
  return new Promise((resolve, reject) => {
    req.on('upgrade', (response: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (head.length > 0) socket.unshift(head);
      resolve({ session: new SpdySession(socket, { role: 'client' }), response, socket });
    });
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(new Error(`upgrade refused: ${res.statusCode} ${body.trim()}`)));
    });
    req.on('error', reject);
    req.end();
  });
}

/** readAll collects a stream until it ends or closes. */
export function readAll(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    stream.on('data', (d: Buffer) => parts.push(d));
    let resolved = false;
    const done = (): void => {
      if (resolved) return;
      resolved = true;
      resolve(Buffer.concat(parts));
    };
    stream.once('end', done);
    stream.once('close', done);
  });
}

/**
 * forwardOnce does what kubectl does per local connection: open the error stream (and close our side of it),
 * open the data stream, send `request`, half-close, and collect what comes back on both.
 */
export async function forwardOnce(session: SpdySession, port: number, requestId: string, request: Buffer | string): Promise<{ data: Buffer; error: string }> {
  const error = session.openStream({ streamType: 'error', port: String(port), requestID: requestId });
  await error.replied;
  error.end();
  const errorText = readAll(error);
  const data = session.openStream({ streamType: 'data', port: String(port), requestID: requestId });
  await data.replied;
  const body = readAll(data);
  data.end(request);
  return { data: await body, error: (await errorText).toString() };
}
