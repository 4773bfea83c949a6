/**
 * SpdySession over a loopback TCP connection: stream open/reply/headers, half-close, reset, ping, GOAWAY on a
 * malformed frame, and flow control in both directions — including a peer like client-go's spdystream that never
 * sends WINDOW_UPDATE (we must not stall) and one that does (we must stop at its window).
 */
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../../../../test/harness/test-cluster.js';
import { encodeFrame, FrameDecoder, type SpdyFrame } from './frame.js';
import { HeaderCompressor } from './header-block.js';
import { SpdySession, type SpdyStream } from './session.js';

/** A loopback connection: `server` and `client` ends. */
async function socketPair(listener: Server, port: number): Promise<{ client: Socket; server: Socket }> {
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
  const client = connect(port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  return { client, server: await accepted };
}

/** A hand-driven peer: writes raw frames and records every frame it receives. */
class RawPeer {
  readonly frames: SpdyFrame[] = [];
  readonly #decoder = new FrameDecoder();
  readonly #compressor = new HeaderCompressor();
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.frames.push(...this.#decoder.push(d)));
  }
  send(f: SpdyFrame): void {
    this.socket.write(encodeFrame(f));
  }
  async synStream(id: number, headers: Record<string, string>): Promise<void> {
    this.send({ type: 'SYN_STREAM', streamId: id, associatedStreamId: 0, priority: 0, fin: false, unidirectional: false, headerBlock: await this.#compressor.compress(headers) });
  }
  dataBytes(streamId: number): number {
    return this.frames.reduce((n, f) => n + (f.type === 'DATA' && f.streamId === streamId ? f.data.length : 0), 0);
  }
  close(): void {
    this.#compressor.close();
    this.socket.destroy();
  }
}

void describe('SpdySession', () => {
  let listener: Server;
  let port: number;
  const sockets: Socket[] = [];
  before(async () => {
    listener = createServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
    port = (listener.address() as AddressInfo).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => listener.close(r));
  });
  const pair = async (): Promise<{ client: Socket; server: Socket }> => {
    const p = await socketPair(listener, port);
    sockets.push(p.client, p.server);
    return p;
  };

  void it('opens streams, exchanges headers and data both ways, half-closes and resets', async () => {
    const { client, server } = await pair();
    const accepted: SpdyStream[] = [];
    const srv = new SpdySession(server, {
      role: 'server',
      onStream: (s) => {
        accepted.push(s);
        void s.reply({ answer: 'yes' });
        // Echo in upper case, then half-close.
        let text = '';
        s.on('data', (d: Buffer) => (text += d.toString()));
        s.on('end', () => s.end(text.toUpperCase()));
      },
    });
    const cli = new SpdySession(client, { role: 'client' });
    const a = cli.openStream({ StreamType: 'data', port: '80' });
    assert.deepEqual(await a.replied, { answer: ['yes'] });
    assert.equal(a.id, 1);
    a.end('hello');
    let got = '';
    for await (const d of a) got += String(d);
    assert.equal(got, 'HELLO');
    assert.equal(accepted[0]?.header('streamtype'), 'data');
    assert.equal(accepted[0]?.header('PORT'), '80');
    // A second stream gets the next odd ID; resetting it destroys the server's side without an error.
    const b = cli.openStream({ streamType: 'error' });
    await b.replied;
    assert.equal(b.id, 3);
    const bServer = await eventually(() => accepted[1]);
    const closed = new Promise((r) => bServer.once('close', r));
    b.reset();
    await closed;
    assert.ok(bServer.destroyed);
    assert.ok((await cli.ping()) >= 0);
    await cli.close();
    await srv.closed;
  });

  void it('answers a malformed frame with GOAWAY(PROTOCOL_ERROR) and ends the session', async () => {
    const { client, server } = await pair();
    const srv = new SpdySession(server, { role: 'server', onStream: () => undefined });
    const peer = new RawPeer(client);
    client.write(Buffer.from([0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0])); // SPDY/2
    await srv.closed;
    await eventually(() => peer.frames.find((f) => f.type === 'GOAWAY'));
    assert.deepEqual(peer.frames.find((f) => f.type === 'GOAWAY'), { type: 'GOAWAY', lastGoodStreamId: 0, status: 1 });
    peer.close();
  });

  void it('keeps sending past 64 KiB to a peer that never does flow control (client-go spdystream)', async () => {
    const { client, server } = await pair();
    new SpdySession(server, { role: 'server', onStream: (s) => void s.reply().then(() => s.end(Buffer.alloc(200 * 1024, 1))) });
    const peer = new RawPeer(client);
    await peer.synStream(1, { streamtype: 'data' });
    await eventually(() => peer.frames.some((f) => f.type === 'DATA' && f.fin) || undefined, 10_000);
    assert.equal(peer.dataBytes(1), 200 * 1024);
    peer.close();
  });

  void it('stops at the window of a peer that does flow control, and resumes on WINDOW_UPDATE', async () => {
    const { client, server } = await pair();
    new SpdySession(server, { role: 'server', onStream: (s) => void s.reply().then(() => s.end(Buffer.alloc(100 * 1024, 2))) });
    const peer = new RawPeer(client);
    // Shows it does flow control (a zero-delta session update), then opens a stream and credits nothing more.
    peer.send({ type: 'WINDOW_UPDATE', streamId: 0, delta: 0 });
    await peer.synStream(1, { streamtype: 'data' });
    await eventually(() => peer.dataBytes(1) === 64 * 1024 || undefined, 10_000);
    await new Promise((r) => setTimeout(r, 200)); // (a negative check: nothing more may arrive)
    assert.equal(peer.dataBytes(1), 64 * 1024);
    peer.send({ type: 'WINDOW_UPDATE', streamId: 1, delta: 64 * 1024 });
    peer.send({ type: 'WINDOW_UPDATE', streamId: 0, delta: 64 * 1024 });
    await eventually(() => peer.frames.some((f) => f.type === 'DATA' && f.fin) || undefined, 10_000);
    assert.equal(peer.dataBytes(1), 100 * 1024);
    peer.close();
  });

  void it('a peer vanishing mid-transfer closes the stream without an error reaching the process', async () => {
    const { client, server } = await pair();
    let closed: Promise<unknown> = new Promise(() => undefined);
    new SpdySession(server, {
      role: 'server',
      onStream: (s) => {
        closed = new Promise((r) => s.once('close', r));
        void s.reply();
        const chunk = Buffer.alloc(64 * 1024, 3);
        const pump = (): void => {
          while (!s.destroyed && s.write(chunk));
          if (!s.destroyed) s.once('drain', pump);
        };
        pump();
      },
    });
    const peer = new RawPeer(client);
    await peer.synStream(1, { streamtype: 'data' });
    await eventually(() => peer.dataBytes(1) > 0 || undefined);
    peer.close();
    await closed;
  });

  void it('credits the peer with WINDOW_UPDATE as the reader consumes data', async () => {
    const { client, server } = await pair();
    let stream: SpdyStream | undefined;
    new SpdySession(server, {
      role: 'server',
      onStream: (s) => {
        stream = s;
        void s.reply();
        s.pause();
      },
    });
    const peer = new RawPeer(client);
    await peer.synStream(1, { streamtype: 'data' });
    const s = await eventually(() => stream);
    for (let i = 0; i < 4; i++) peer.send({ type: 'DATA', streamId: 1, fin: false, data: Buffer.alloc(16 * 1024, i) });
    await eventually(() => s.readableLength === 64 * 1024 || undefined);
    const credited = (id: number): number => peer.frames.reduce((n, f) => n + (f.type === 'WINDOW_UPDATE' && f.streamId === id ? f.delta : 0), 0);
    assert.equal(credited(1), 0, 'nothing consumed, nothing credited');
    s.resume();
    await eventually(() => credited(1) === 64 * 1024 || undefined);
    await eventually(() => credited(0) === 64 * 1024 || undefined);
    peer.close();
  });
});
