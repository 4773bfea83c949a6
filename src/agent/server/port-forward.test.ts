/**
 * Port-forward on the node in its three wire forms, against an in-test TCP server standing in for the pod:
 * raw SPDY, SPDY in WebSocket and the legacy WebSocket channels with our own clients, and the same handler behind
 * a minimal fake API server driven by the real kubectl (WebSocket tunnel by default, raw SPDY with
 * KUBECTL_PORT_FORWARD_WEBSOCKETS=false), which checks interop with client-go's spdystream.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createWebSocketStream, WebSocket, WebSocketServer } from 'ws';
import { newLogger } from '../../base/log/logger.js';
import { handlePortForwardUpgrade, servePortForwardSpdy, type PodPortForwarder, type PortForwardOptions } from './port-forward.js';
import { SpdySession } from './spdy/session.js';
import { startFakeApiServer, type FakeApiServer } from './testing/fake-api-server.js';
import { forwardOnce, upgradeToSpdy } from './testing/spdy-client.js';

const BIG = Buffer.alloc(300 * 1024, 'x');

/** A forwarder that dials 127.0.0.1:<port> on the host, as the runtime dials inside the pod's netns. */
const forwarder: PodPortForwarder = {
  resolvePod: (namespace, name) => Promise.resolve(name === 'web' ? { namespace, name, uid: 'uid-web', sandboxId: 'sb-web' } : undefined),
  portForward: (_pod, port, stream) =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', (e) => reject(new Error(`Cannot forward port ${port}: ${e.message}`)));
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        socket.on('error', () => stream.destroy());
        stream.pipe(socket).pipe(stream);
        socket.on('close', () => resolve());
      });
    }),
};

function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function closedPort(): Promise<number> {
  const s = createTcpServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

void describe('port-forward', () => {
  let podServer: Server;
  let podPort: number;
  let deadPort: number;
  let node: Server;
  let nodePort: number;
  const sockets = new Set<Socket | Duplex>();
  const options: PortForwardOptions = { forwarder, log: newLogger('port-forward-test'), streamCreationTimeoutMs: 2_000 };

  before(async () => {
    // The "pod": an HTTP server; /big answers 300 KiB (more than the 64 KiB SPDY window).
    podServer = createServer((req, res) => {
      if (req.url === '/big') res.end(BIG);
      else if (req.url === '/upload') {
        let n = 0;
        req.on('data', (d: Buffer) => (n += d.length));
        req.on('end', () => res.end(`received ${n}`));
      } else res.end(`hello from pod ${req.url ?? ''}`);
    });
    podPort = await listen(podServer);
    deadPort = await closedPort();
    // The "node": only the upgrade route, in plain HTTP (TLS and auth are the KubeletServer's, tested elsewhere).
    node = createServer((_req, res) => res.writeHead(400).end('Upgrade request required'));
    node.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      sockets.add(socket);
      const m = /^\/portForward\/([^/]+)\/([^/?]+)/.exec(req.url ?? '');
      void handlePortForwardUpgrade(req, socket, head, m?.[1] ?? '', m?.[2] ?? '', options);
    });
    nodePort = await listen(node);
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    node.closeAllConnections();
    podServer.closeAllConnections();
    await new Promise((r) => node.close(r));
    await new Promise((r) => podServer.close(r));
  });

  const httpGet = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n`;

  void it('forwards over raw SPDY after 101 Switching Protocols, several pairs on one session', async () => {
    const req = request({ host: '127.0.0.1', port: nodePort, path: '/portForward/default/web', method: 'POST', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' } });
    const { session, response, socket } = await upgradeToSpdy(req);
    sockets.add(socket);
    assert.equal(response.headers['x-stream-protocol-version'], 'portforward.k8s.io');
    const [a, b] = await Promise.all([forwardOnce(session, podPort, '0', httpGet('/a')), forwardOnce(session, podPort, '1', httpGet('/b'))]);
    assert.match(a.data.toString(), /\r\n\r\nhello from pod \/a$/);
    assert.match(b.data.toString(), /\r\n\r\nhello from pod \/b$/);
    assert.equal(a.error, '');
    // More than one window's worth: our client credits the server with WINDOW_UPDATEs as it reads.
    const big = await forwardOnce(session, podPort, '2', httpGet('/big'));
    assert.ok(big.data.toString().endsWith(BIG.toString()), `got ${big.data.length} bytes`);
    // And the other way: the node credits our client as the pod consumes, so an upload > 64 KiB gets through.
    const up = await forwardOnce(session, podPort, '3', Buffer.concat([Buffer.from(`POST /upload HTTP/1.1\r\nHost: pod\r\nConnection: close\r\nContent-Length: ${BIG.length}\r\n\r\n`), BIG]));
    assert.match(up.data.toString(), new RegExp(`received ${BIG.length}$`));
    await session.close();
  });

  void it('writes the error stream and no data when nothing listens on the port', async () => {
    const req = request({ host: '127.0.0.1', port: nodePort, path: '/portForward/default/web', method: 'POST', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' } });
    const { session, socket } = await upgradeToSpdy(req);
    sockets.add(socket);
    const r = await forwardOnce(session, deadPort, '0', httpGet('/'));
    assert.equal(r.data.length, 0);
    assert.match(r.error, new RegExp(`^error forwarding port ${deadPort} to pod web, uid uid-web: Cannot forward port ${deadPort}: connect ECONNREFUSED`));
    await session.close();
  });

  void it('refuses unknown pods and a foreign subprotocol', async () => {
    const refused = (path: string, headers: Record<string, string>): Promise<string> =>
      upgradeToSpdy(request({ host: '127.0.0.1', port: nodePort, path, method: 'POST', headers })).then(
        () => 'upgraded',
        (e: unknown) => (e as Error).message,
      );
    assert.match(await refused('/portForward/default/nope', { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' }), /^upgrade refused: 404 pod "nope" in namespace "default" is not running on this node/);
    assert.match(await refused('/portForward/default/web', { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' }), /^upgrade refused: 403 unable to upgrade: unable to negotiate protocol/);
  });

  void it('answers the SPDY-in-WebSocket handshake with its subprotocol (kubectl drives the session below)', async () => {
    // The ws client refuses to offer `SPDY/3.1+portforward.k8s.io` (not a token), so the handshake is done by hand.
    const req = request({
      host: '127.0.0.1',
      port: nodePort,
      path: '/portForward/default/web',
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'SPDY/3.1+portforward.k8s.io' },
    });
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      req.on('upgrade', (res: IncomingMessage, socket: Duplex) => {
        sockets.add(socket);
        resolve(res);
      });
      req.on('response', (res: IncomingMessage) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.end();
    });
    assert.equal(response.statusCode, 101);
    assert.equal(response.headers['sec-websocket-protocol'], 'SPDY/3.1+portforward.k8s.io');
  });

  void it('runs the SPDY session over a WebSocket byte stream (our client; kubectl below uses the real subprotocol)', async () => {
    // The ws client will not offer `SPDY/3.1+portforward.k8s.io` (not a token), so this drives servePortForwardSpdy
    // over a WebSocket accepted under another name; the handshake itself is checked above and by kubectl.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws) => void servePortForwardSpdy(createWebSocketStream(ws), { namespace: 'default', name: 'web', uid: 'uid-web', sandboxId: 'sb' }, options));
    await new Promise((r) => wss.once('listening', r));
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const session = new SpdySession(createWebSocketStream(ws), { role: 'client' });
    const r = await forwardOnce(session, podPort, 'x', httpGet('/tunnel'));
    assert.match(r.data.toString(), /hello from pod \/tunnel$/);
    const big = await forwardOnce(session, podPort, 'y', httpGet('/big'));
    assert.ok(big.data.toString().endsWith(BIG.toString()));
    const bad = await forwardOnce(session, deadPort, 'z', httpGet('/'));
    assert.equal(bad.data.length, 0);
    assert.match(bad.error, /^error forwarding port \d+ to pod web/);
    await session.close();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  });

  void it('forwards over the legacy WebSocket channels (?ports=), port prefix first', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${nodePort}/portForward/default/web?ports=${podPort},${deadPort}`, ['v4.channel.k8s.io']);
    const messages: Buffer[] = [];
    ws.on('message', (m: Buffer) => messages.push(m));
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    assert.equal(ws.protocol, 'v4.channel.k8s.io');
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(httpGet('/legacy'))]));
    await new Promise((r) => ws.once('close', r));
    const on = (ch: number): Buffer[] => messages.filter((m) => m[0] === ch).map((m) => m.subarray(1));
    // Each channel's first message is its port, 2 bytes little-endian.
    assert.equal(on(0)[0]?.readUInt16LE(0), podPort);
    assert.equal(on(1)[0]?.readUInt16LE(0), podPort);
    assert.equal(on(2)[0]?.readUInt16LE(0), deadPort);
    assert.match(Buffer.concat(on(0).slice(1)).toString(), /hello from pod \/legacy$/);
    assert.equal(on(1).length, 1, 'no error for the working port');
    assert.equal(on(2).length, 1, 'no data for the failed port');
    assert.match(on(3)[1]?.toString() ?? '', new RegExp(`^error forwarding port ${deadPort} to pod web`));
  });

  void it('a pair missing its data stream is dropped after the stream-creation timeout', async () => {
    const req = request({ host: '127.0.0.1', port: nodePort, path: '/portForward/default/web', method: 'POST', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' } });
    const { session, socket } = await upgradeToSpdy(req);
    sockets.add(socket);
    const error = session.openStream({ streamType: 'error', port: String(podPort), requestID: 'lonely' });
    await error.replied;
    error.end();
    let text = '';
    for await (const chunk of error) text += String(chunk);
    assert.equal(text, 'timed out waiting for both streams of the port-forward request');
    await session.close();
  });
});

void describe('kubectl port-forward (real kubectl against a fake API server)', () => {
  let podServer: Server;
  let podPort: number;
  let api: FakeApiServer;
  const children = new Set<ChildProcess>();
  const cacheDir = mkdtempSync(join(tmpdir(), 'tkube-pf-kubectl-'));
  const options: PortForwardOptions = { forwarder, log: newLogger('port-forward-test') };

  before(async () => {
    podServer = createServer((req, res) => res.end(req.url === '/big' ? BIG : 'hello through kubectl'));
    podPort = await listen(podServer);
    api = await startFakeApiServer((req, socket, head) => void handlePortForwardUpgrade(req, socket, head, 'default', 'web', options));
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await api.close();
    podServer.closeAllConnections();
    await new Promise((r) => podServer.close(r));
    rmSync(cacheDir, { recursive: true, force: true });
  });

  /** startForward runs kubectl port-forward to `remotePort` and resolves with its local port. */
  const startForward = (remotePort: number, env: Record<string, string>): Promise<{ localPort: number; child: ChildProcess; stderr: () => string }> =>
    new Promise((resolve, reject) => {
      const child = spawn('kubectl', ['port-forward', '--server', `http://127.0.0.1:${api.port}`, '--cache-dir', cacheDir, '--address', '127.0.0.1', 'pod/web', `:${remotePort}`], {
        env: { ...process.env, KUBECONFIG: join(cacheDir, 'none'), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      let out = '';
      let err = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve({ localPort: Number(m[1]), child, stderr: () => err });
      });
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code) => reject(new Error(`kubectl exited ${code}: ${out}${err}`)));
    });

  const fetchLocal = (port: number, path: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      let body = '';
      s.on('data', (d: Buffer) => (body += d.toString()));
      s.on('close', () => resolve(body));
      s.on('error', reject);
      s.write(`GET ${path} HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n`);
    });

  for (const [form, env] of [
    ['SPDY tunnelled in WebSocket (the default)', {}],
    ['raw SPDY (KUBECTL_PORT_FORWARD_WEBSOCKETS=false)', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false', PORT_FORWARD_WEBSOCKETS: 'false' }],
  ] as const) {
    void it(`serves kubectl over ${form}, including > 64 KiB and a refused port`, async () => {
      api.upgrades.length = 0;
      const { localPort, child } = await startForward(podPort, env);
      assert.match(await fetchLocal(localPort, '/'), /hello through kubectl$/);
      const big = await fetchLocal(localPort, '/big');
      assert.ok(big.endsWith(BIG.toString()), `got ${big.length} bytes`);
      // Exactly one upgrade: kubectl did not have to fall back from the WebSocket tunnel.
      assert.deepEqual(api.upgrades, [Object.keys(env).length === 0 ? 'websocket SPDY/3.1+portforward.k8s.io' : 'SPDY/3.1 portforward.k8s.io']);
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      children.delete(child);

      const dead = await closedPort();
      const failing = await startForward(dead, env);
      assert.equal(await fetchLocal(failing.localPort, '/'), '');
      await new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`no error from kubectl: ${failing.stderr()}`)), 10_000);
        const check = setInterval(() => {
          if (/an error occurred forwarding \d+ -> \d+: error forwarding port \d+ to pod web, uid uid-web: Cannot forward port/.test(failing.stderr())) {
            clearTimeout(deadline);
            clearInterval(check);
            resolve();
          }
        }, 50);
      });
      failing.child.kill('SIGKILL');
      children.delete(failing.child);
    });
  }
});
