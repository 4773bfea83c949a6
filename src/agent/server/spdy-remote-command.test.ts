/**
 * Exec over SPDY (kubectl's fallback when the WebSocket upgrade fails): the real kubectl against a fake API
 * server that refuses WebSocket upgrades, and our own SPDY client for TTY resize and the failure paths.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCommand } from '../../../test/harness/test-cluster.js';
import { newLogger } from '../../base/log/logger.js';
import type { TerminalSize } from '../cri/runtime-service.js';
import { remoteCommandOptions, type RemoteCommandHandler, type RemoteCommandStreams } from './remote-command-streams.js';
import { serveSpdyRemoteCommand } from './spdy-remote-command.js';
import { rejectUpgrade } from './spdy-upgrade.js';
import { startFakeApiServer, type FakeApiServer } from './testing/fake-api-server.js';
import { readAll, upgradeToSpdy } from './testing/spdy-client.js';

const log = newLogger('spdy-exec-test');

/** A fake command runner: `upper` echoes stdin upper-cased, writes to stderr and exits 3; `fail` cannot start. */
const runner = (command: readonly string[]): RemoteCommandHandler => async (s: RemoteCommandStreams) => {
  if (command[0] === 'fail') {
    await s.writeStatus({ error: 'container not found ("c")' });
    return;
  }
  if (command[0] === 'sizes') {
    const sizes: TerminalSize[] = [];
    for await (const size of s.resize ?? []) {
      sizes.push(size);
      if (sizes.length === 2) break;
    }
    s.stdout?.write(JSON.stringify(sizes));
    await s.writeStatus({ exitCode: 0 });
    return;
  }
  let input = '';
  for await (const chunk of s.stdin ?? []) input += String(chunk);
  s.stdout?.write(input.toUpperCase());
  s.stderr?.write(`${s.protocol} on stderr\n`);
  await s.writeStatus({ exitCode: 3 });
};

void describe('exec over SPDY', () => {
  let api: FakeApiServer;
  let node: Server;
  let nodePort: number;
  const sockets = new Set<Duplex>();
  const cacheDir = mkdtempSync(join(tmpdir(), 'tkube-spdy-exec-'));
  const serve = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    void serveSpdyRemoteCommand(req, socket, head, remoteCommandOptions(url.searchParams), runner(url.searchParams.getAll('command')), { log, streamCreationTimeoutMs: 1_000 });
  };

  before(async () => {
    // The fake API server refuses WebSocket, so kubectl must fall back to SPDY.
    api = await startFakeApiServer((req, socket, head) => {
      if ((req.headers.upgrade ?? '').toLowerCase() === 'websocket') rejectUpgrade(socket, 400, 'websocket not supported here');
      else serve(req, socket, head);
    });
    node = createServer((_req, res) => res.writeHead(400).end());
    node.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      sockets.add(socket);
      serve(req, socket, head);
    });
    await new Promise<void>((r) => node.listen(0, '127.0.0.1', () => r()));
    nodePort = (node.address() as AddressInfo).port;
  });
  after(async () => {
    await api.close();
    for (const s of sockets) s.destroy();
    node.closeAllConnections();
    await new Promise((r) => node.close(r));
    rmSync(cacheDir, { recursive: true, force: true });
  });

  const kubectl = (args: string[], input?: string): ReturnType<typeof runCommand> =>
    runCommand('kubectl', ['--server', `http://127.0.0.1:${api.port}`, '--cache-dir', cacheDir, ...args], { env: { ...process.env, KUBECONFIG: join(cacheDir, 'none') }, timeoutMs: 30_000, ...(input !== undefined ? { input } : {}) });

  void it('kubectl exec falls back to SPDY v4: stdin, stdout, stderr and the exit code', async () => {
    const r = await kubectl(['exec', '-i', 'web', '--', 'upper'], 'hello spdy\n');
    assert.equal(r.stdout, 'HELLO SPDY\n');
    assert.match(r.stderr, /v4\.channel\.k8s\.io on stderr/);
    assert.equal(r.code, 3);
    assert.deepEqual(api.upgrades.slice(-2).map((u) => u.split(' ')[0]?.toLowerCase()), ['websocket', 'spdy/3.1']);
    assert.match(api.upgrades.at(-1) ?? '', /v4\.channel\.k8s\.io/);
  });

  void it('kubectl exec reports a failure to run the command', async () => {
    const r = await kubectl(['exec', 'web', '--', 'fail']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /container not found \("c"\)/);
  });

  const upgrade = (query: string, protocols: string): ReturnType<typeof upgradeToSpdy> =>
    upgradeToSpdy(request({ host: '127.0.0.1', port: nodePort, path: `/exec/default/web/c?${query}`, method: 'POST', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocols } }));

  void it('passes terminal sizes from the resize stream (TTY, v4)', async () => {
    const { session, response, socket } = await upgrade('command=sizes&stdout=1&tty=1', 'v5.channel.k8s.io, v4.channel.k8s.io');
    sockets.add(socket);
    assert.equal(response.headers['x-stream-protocol-version'], 'v4.channel.k8s.io');
    const error = session.openStream({ streamType: 'error' });
    const stdout = session.openStream({ streamType: 'stdout' });
    const resize = session.openStream({ streamType: 'resize' });
    await Promise.all([error.replied, stdout.replied, resize.replied]);
    error.end();
    stdout.end();
    const out = readAll(stdout);
    const status = readAll(error);
    resize.write('{"Width":80,"Height":24}\n{"Width":100,');
    resize.write('"Height":40}\n');
    assert.deepEqual(JSON.parse((await out).toString()), [{ width: 80, height: 24 }, { width: 100, height: 40 }]);
    assert.deepEqual(JSON.parse((await status).toString()), { metadata: {}, status: 'Success' });
  });

  void it('refuses a client without a common subprotocol, and drops a session missing a stream', async () => {
    await assert.rejects(upgrade('command=upper&stdout=1', 'v5.channel.k8s.io'), /upgrade refused: 403 unable to upgrade: unable to negotiate protocol/);
    const { session, socket } = await upgrade('command=upper&stdin=1&stdout=1', 'v4.channel.k8s.io');
    sockets.add(socket);
    const error = session.openStream({ streamType: 'error' });
    await error.replied;
    // stdin and stdout never come: the session is dropped after the stream-creation timeout.
    await session.closed;
  });
});
