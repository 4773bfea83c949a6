/**
 * Port-forward on the node, in the three wire forms clients use:
 *
 *  1. Raw SPDY/3.1 after `101 Switching Protocols` (`Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version:
 *     portforward.k8s.io`) — kubectl's fallback, and what client-go speaks to a kubelet.
 *  2. SPDY/3.1 tunnelled in WebSocket binary messages (subprotocol `SPDY/3.1+portforward.k8s.io`) — kubectl 1.31+
 *     by default. The WebSocket is only a byte pipe here; the SPDY session on top is the same as in 1.
 *  3. The legacy WebSocket channel protocol (`v4.channel.k8s.io`, `portforward.k8s.io` or no subprotocol) with
 *     the ports in the query (`?ports=80` from the API server, `?port=80` as upstream's kubelet names it) —
 *     `@kubernetes/client-node` and the python client. Per port i, channel 2i carries data and 2i+1 errors; the
 *     server first sends each channel the port as 2 little-endian bytes.
 *
 * SPDY forms: the client opens streams in pairs sharing a `requestID` header, one with `streamType: error` and
 * one with `streamType: data` (both name the `port`). When a pair is complete the forwarder connects the data
 * stream to the port in the pod. If that fails, the error stream gets upstream kubelet's message
 * (`error forwarding port <p> to pod <pod>, uid <uid>: <why>`; kubectl prints it as
 * `an error occurred forwarding <local> -> <p>: ...`) and the data stream is closed without a byte written.
 * A pair not completed within the stream-creation timeout is dropped (its error stream says so).
 */
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';
import type { Clock, Timer } from '../../base/clock/clock.js';
import { RealClock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import { RstStatus } from './spdy/frame.js';
import { SpdySession, type SpdyStream } from './spdy/session.js';
import { acceptSpdyUpgrade, isSpdyUpgrade, isWebSocketUpgrade, negotiateStreamProtocol, rejectNegotiation, rejectUpgrade } from './spdy-upgrade.js';

/** The SPDY subprotocol of port-forward. */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** kubectl's WebSocket subprotocol: SPDY frames inside WebSocket binary messages. */
export const SPDY_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
/** Legacy WebSocket channel subprotocols for port-forward (binary channel framing). */
const LEGACY_WS_PROTOCOLS = ['v4.channel.k8s.io', 'portforward.k8s.io', 'channel.k8s.io'];
/** upstream's default stream-creation timeout */
const DEFAULT_STREAM_CREATION_TIMEOUT_MS = 30_000;

/** PortForwardPod is a running pod on this node, as the forwarder knows it. */
export interface PortForwardPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly sandboxId: string;
}

/** PodPortForwarder reaches ports inside pods (the kubelet implements it over the runtime). */
export interface PodPortForwarder {
  /** resolvePod finds a running pod with a ready sandbox; undefined when this node runs no such pod. */
  resolvePod(namespace: string, name: string): Promise<PortForwardPod | undefined>;
  /**
   * portForward connects `stream` to `port` on the pod's loopback and resolves when either side closes; it
   * rejects without writing to `stream` when it cannot connect.
   */
  portForward(pod: PortForwardPod, port: number, stream: Duplex): Promise<void>;
}

export interface PortForwardOptions {
  readonly forwarder: PodPortForwarder;
  readonly log: Logger;
  /** @default a RealClock */
  readonly clock?: Clock;
  /** How long the second stream of a pair may take. @default 30 s */
  readonly streamCreationTimeoutMs?: number;
}

/**
 * handlePortForwardUpgrade serves one `/portForward/{namespace}/{pod}` upgrade request in whichever form it asks
 * for; it answers with an HTTP error (and closes the socket) when the pod is unknown or the request is not an
 * upgrade it understands. It resolves once the connection is set up, not when it ends.
 */
export async function handlePortForwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, name: string, options: PortForwardOptions): Promise<void> {
  const pod = await options.forwarder.resolvePod(namespace, name);
  if (!pod) {
    rejectUpgrade(socket, 404, `pod "${name}" in namespace "${namespace}" is not running on this node`);
    return;
  }
  if (isSpdyUpgrade(req)) {
    const protocol = negotiateStreamProtocol(req, [PORT_FORWARD_PROTOCOL]);
    if (protocol === undefined) {
      rejectNegotiation(socket, req, [PORT_FORWARD_PROTOCOL]);
      return;
    }
    void servePortForwardSpdy(acceptSpdyUpgrade(socket, head, protocol), pod, options);
    return;
  }
  if (!isWebSocketUpgrade(req)) {
    rejectUpgrade(socket, 400, 'Upgrade request required (SPDY/3.1 or websocket)');
    return;
  }
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  const tunnel = offered.includes(SPDY_TUNNEL_PROTOCOL);
  const legacy = LEGACY_WS_PROTOCOLS.find((p) => offered.includes(p));
  if (!tunnel && offered.length > 0 && !legacy) {
    rejectUpgrade(socket, 400, `unsupported WebSocket subprotocols [${offered.join(', ')}]; supported: ${[SPDY_TUNNEL_PROTOCOL, ...LEGACY_WS_PROTOCOLS].join(', ')}`);
    return;
  }
  let ports: number[] = [];
  if (!tunnel) {
    const parsed = queryPorts(new URL(req.url ?? '/', 'https://kubelet').searchParams);
    if (typeof parsed === 'string') {
      rejectUpgrade(socket, 400, parsed);
      return;
    }
    ports = parsed;
  }
  if (tunnel) {
    // `SPDY/3.1+portforward.k8s.io` is not an RFC 7230 token ('/'), so the ws library would refuse the header;
    // it gets a token stand-in here and the real name is still what the handshake answers.
    req.headers['sec-websocket-protocol'] = 'spdy-tunnel';
  }
  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => (tunnel ? SPDY_TUNNEL_PROTOCOL : (legacy ?? false)) });
  wss.handleUpgrade(req, socket, head, (ws) => {
    wss.close();
    if (tunnel) void servePortForwardSpdy(createWebSocketStream(ws), pod, options);
    else void servePortForwardWebSocket(ws, ports, pod, options);
  });
}

/** queryPorts reads `ports`/`port` (repeatable, comma-separated); a string is the error to answer with. */
export function queryPorts(q: URLSearchParams): number[] | string {
  const raw = [...q.getAll('ports'), ...q.getAll('port')];
  if (raw.length === 0) return 'query parameter "ports" is required';
  const ports: number[] = [];
  for (const p of raw.flatMap((r) => r.split(','))) {
    const n = Number(p);
    if (p.trim() === '' || !Number.isInteger(n) || n < 1 || n > 65535) return `invalid port ${JSON.stringify(p)}: must be an integer between 1 and 65535`;
    ports.push(n);
  }
  return ports;
}

function forwardingError(pod: PortForwardPod, port: number, err: unknown): string {
  return `error forwarding port ${port} to pod ${pod.name}, uid ${pod.uid}: ${err instanceof Error ? err.message : String(err)}`;
}

interface StreamPair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: Timer;
}

/**
 * servePortForwardSpdy runs a SPDY session (server role) over `transport` that forwards stream pairs into the
 * pod; it resolves when the session ends.
 */
export function servePortForwardSpdy(transport: Duplex, pod: PortForwardPod, options: PortForwardOptions): Promise<void> {
  const clock = options.clock ?? new RealClock();
  const timeoutMs = options.streamCreationTimeoutMs ?? DEFAULT_STREAM_CREATION_TIMEOUT_MS;
  const pairs = new Map<string, StreamPair>();
  const forward = async (data: SpdyStream, error: SpdyStream): Promise<void> => {
    const portText = data.header('port') ?? '';
    const port = Number(portText);
    try {
      if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new Error(`invalid port header ${JSON.stringify(portText)}`);
      await options.forwarder.portForward(pod, port, data);
    } catch (err) {
      const message = forwardingError(pod, port, err);
      options.log.info('Port-forward failed', { pod: `${pod.namespace}/${pod.name}`, port, error: message });
      if (!error.destroyed) error.write(message);
    } finally {
      if (!error.destroyed) error.end();
      if (!data.destroyed) data.end();
    }
  };
  const session = new SpdySession(transport, {
    role: 'server',
    onStream: (stream) => {
      void stream.reply().catch(() => undefined);
      // The client never sends on the error stream; drain so its FIN is seen and the stream can close.
      const type = stream.header('streamType');
      if (type !== 'data' && type !== 'error') {
        options.log.info('Port-forward stream of unknown type reset', { type });
        stream.reset(RstStatus.PROTOCOL_ERROR);
        return;
      }
      if (type === 'error') stream.resume();
      // Clients before requestID paired streams by ID: the error stream N, its data stream N+2.
      const requestId = stream.header('requestID') ?? String(type === 'error' ? stream.id : stream.id - 2);
      let pair = pairs.get(requestId);
      if (!pair) {
        const created: StreamPair = {
          timer: clock.setTimer(timeoutMs, () => {
            pairs.delete(requestId);
            if (created.error && !created.error.destroyed) created.error.end('timed out waiting for both streams of the port-forward request');
            created.data?.reset();
          }),
        };
        pair = created;
        pairs.set(requestId, pair);
      }
      if (pair[type]) {
        options.log.info('Port-forward request has two streams of one type; resetting the newer', { requestId, type });
        stream.reset(RstStatus.PROTOCOL_ERROR);
        return;
      }
      pair[type] = stream;
      if (pair.data && pair.error) {
        pair.timer.cancel();
        pairs.delete(requestId);
        void forward(pair.data, pair.error);
      }
    },
  });
  return session.closed.then(() => {
    for (const p of pairs.values()) p.timer.cancel();
    pairs.clear();
  });
}

/** A channel's write side on a legacy WebSocket: every chunk becomes one binary message `[channel, ...bytes]`. */
class ChannelWriter {
  constructor(
    private readonly ws: WebSocket,
    private readonly channel: number,
  ) {}

  send(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== this.ws.OPEN) {
        reject(new Error('WebSocket closed'));
        return;
      }
      this.ws.send(Buffer.concat([Buffer.from([this.channel]), bytes]), { binary: true }, (err) => (err ? reject(err) : resolve()));
    });
  }
}

/**
 * servePortForwardWebSocket runs the legacy channel protocol for `ports` on an accepted WebSocket; it closes the
 * WebSocket once every port's forward has ended and resolves then.
 */
export async function servePortForwardWebSocket(ws: WebSocket, ports: readonly number[], pod: PortForwardPod, options: PortForwardOptions): Promise<void> {
  const dataStreams: Duplex[] = [];
  const writers = ports.map((_, i) => ({ data: new ChannelWriter(ws, 2 * i), error: new ChannelWriter(ws, 2 * i + 1) }));
  for (const [i] of ports.entries()) {
    const writer = writers[i]?.data;
    const stream = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _enc, cb) => {
        writer?.send(chunk).then(() => cb(), (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))));
      },
      // The channel protocol has no half-close; the connection closes when every forward ended.
      final: (cb) => cb(),
    });
    stream.on('error', () => undefined);
    dataStreams.push(stream);
  }
  ws.on('message', (msg: Buffer, isBinary: boolean) => {
    if (!isBinary || msg.length === 0) return;
    const channel = msg[0] ?? 0;
    // Only data channels carry client bytes; anything on an error channel is ignored, as upstream does.
    if (channel % 2 === 0) dataStreams[channel / 2]?.push(msg.subarray(1));
  });
  ws.on('close', () => {
    for (const s of dataStreams) {
      s.push(null);
      s.destroy();
    }
  });
  ws.on('error', () => undefined);
  // Each channel first carries its port (2 bytes, little-endian): clients match channels to ports with it.
  for (const [i, port] of ports.entries()) {
    const p = Buffer.alloc(2);
    p.writeUInt16LE(port);
    await writers[i]?.data.send(p).catch(() => undefined);
    await writers[i]?.error.send(p).catch(() => undefined);
  }
  await Promise.all(
    ports.map(async (port, i) => {
      const stream = dataStreams[i];
      if (!stream) return;
      try {
        await options.forwarder.portForward(pod, port, stream);
      } catch (err) {
        const message = forwardingError(pod, port, err);
        options.log.info('Port-forward failed', { pod: `${pod.namespace}/${pod.name}`, port, error: message });
        await writers[i]?.error.send(Buffer.from(message)).catch(() => undefined);
      }
    }),
  );
  if (ws.readyState === ws.OPEN) ws.close(1000);
}
