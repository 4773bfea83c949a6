import assert from 'node:assert/strict';
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import { describe, it } from 'node:test';
import { InProcessSocket } from './in-process-connection.js';

/** agentTo is a keep-alive agent whose connections are in-process ones served by `server`. */
function agentTo(server: Server): Agent {
  const agent = new Agent({ keepAlive: true });
  agent.createConnection = (() => {
    const [client, end] = InProcessSocket.pair();
    server.emit('connection', end);
    return client;
  }) as unknown as Agent['createConnection'];
  return agent;
}

function get(agent: Agent, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ host: 'in-process', path, agent }, resolve);
    req.on('error', reject);
    req.end();
  });
}

async function text(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let out = '';
  for await (const chunk of res) out += chunk as string;
  return out;
}

describe('InProcessSocket', () => {
  it('carries HTTP/1.1 both ways, and a kept-alive connection serves the next request', async () => {
    let connections = 0;
    const server = createServer((req, res) => res.end(`${req.method} ${req.url}`));
    server.on('connection', () => connections++);
    const agent = agentTo(server);
    try {
      assert.equal(await text(await get(agent, '/a')), 'GET /a');
      assert.equal(await text(await get(agent, '/b')), 'GET /b');
      assert.equal(connections, 1);
      // Requests with a timeout on one kept-alive connection leave no listener behind (Node's client removes its
      // own with setTimeout(0, listener) when the connection is freed).
      let socket: InProcessSocket | undefined;
      for (let i = 0; i < 20; i++) {
        const res = await new Promise<IncomingMessage>((resolve, reject) => {
          const req = request({ host: 'in-process', path: `/t${i}`, agent }, resolve);
          req.on('socket', (s) => (socket = s as unknown as InProcessSocket));
          req.on('error', reject);
          req.setTimeout(60_000, () => req.destroy());
          req.end();
        });
        assert.equal(await text(res), `GET /t${i}`);
      }
      assert.ok(socket !== undefined && socket.listenerCount('timeout') <= 1, `${socket?.listenerCount('timeout')} timeout listeners`);
      assert.equal(connections, 1);
    } finally {
      agent.destroy();
      server.close();
    }
  });

  it('a streamed response reaches a reader whose event loop is busy without waiting for turns of the loop', async () => {
    // What stalled the server's pods informer (issue 5): over a kernel socket a loop whose turns each take long
    // moves about one socket buffer (~100 KiB) a turn, so 4 MiB of watch lines take dozens of turns. In process,
    // the bytes must arrive within the turn they are written in.
    const line = `${'x'.repeat(3000)}\n`;
    const total = 4 * 1024 * 1024;
    const server = createServer((_req, res) => {
      res.writeHead(200);
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          sent += line.length;
          if (!res.write(line)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const agent = agentTo(server);
    let turns = 0;
    let busy = true;
    const spin = (): void => {
      if (!busy) return;
      turns++;
      const until = performance.now() + 20;
      while (performance.now() < until);
      setImmediate(spin);
    };
    try {
      const res = await get(agent, '/watch');
      setImmediate(spin);
      const body = await text(res);
      busy = false;
      assert.equal(body.length, Math.ceil(total / line.length) * line.length);
      assert.ok(turns <= 2, `the stream took ${turns} turns of a busy loop`);
    } finally {
      busy = false;
      agent.destroy();
      server.close();
    }
  });

  it('holds the writer while the reader does not read (backpressure), and lets it go on when it reads', async () => {
    const [a, b] = InProcessSocket.pair();
    const chunk = Buffer.alloc(64 * 1024);
    const chunks = 20;
    // Bytes arrive on later ticks; once the reader's buffer is full the rest waits at the writer.
    for (let i = 0; i < chunks; i++) {
      a.write(chunk);
      await new Promise((r) => setImmediate(r));
    }
    let drained = false;
    a.once('drain', () => (drained = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(drained, false);
    assert.ok(b.readableLength >= b.readableHighWaterMark && b.readableLength < chunks * chunk.length, `reader holds ${b.readableLength} bytes`);
    assert.ok(a.writableLength > 0);
    let received = 0;
    const all = new Promise<void>((resolve) => {
      b.on('data', (d: Buffer) => {
        received += d.length;
        if (received === chunks * chunk.length) resolve();
      });
    });
    await all;
    assert.equal(drained, true);
    a.destroy();
  });

  it('ending one side ends the other\'s reading; destroying one closes both', async () => {
    const [a, b] = InProcessSocket.pair();
    const got: Buffer[] = [];
    b.on('data', (d: Buffer) => got.push(d));
    const ended = new Promise<void>((resolve) => b.once('end', () => resolve()));
    a.end('last words');
    await ended;
    assert.equal(Buffer.concat(got).toString(), 'last words');
    const closed = new Promise<void>((resolve) => b.once('close', () => resolve()));
    a.destroy();
    await closed;
    assert.equal(b.destroyed, true);
  });

  it('emits timeout after the idle time, not while bytes flow', async () => {
    const [a, b] = InProcessSocket.pair();
    b.resume();
    const start = performance.now();
    // The socket's timer does not keep the process alive (as a net.Socket's); this one does, for the test.
    const keepAlive = setTimeout(() => undefined, 10_000);
    const timedOut = new Promise<number>((resolve) => a.setTimeout(100, () => resolve(performance.now() - start)));
    // Writes within the idle time push the timeout back.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      a.write('x');
    }
    const after = await timedOut;
    assert.ok(after >= 150 + 90, `timed out after ${Math.round(after)} ms, with writes 50 ms apart`);
    clearTimeout(keepAlive);
    assert.equal(a.destroyed, false);
    a.destroy();
  });
});
