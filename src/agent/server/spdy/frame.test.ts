import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { encodeFrame, FrameDecoder, SpdyProtocolError, type SpdyFrame } from './frame.js';
import { decodeHeaderBlock, encodeHeaderBlock, HeaderCompressor, HeaderDecompressor } from './header-block.js';

function adler32(b: Buffer): number {
  let a = 1;
  let c = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    c = (c + a) % 65521;
  }
  return ((c << 16) | a) >>> 0;
}

void describe('SPDY/3.1 frames', () => {
  void it('pins the SPDY/3 dictionary (length and zlib dictionary id)', () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    assert.equal(adler32(SPDY3_DICTIONARY), 3821447106);
  });

  void it('round-trips every frame type, even when bytes arrive one at a time', () => {
    const frames: SpdyFrame[] = [
      { type: 'SYN_STREAM', streamId: 1, associatedStreamId: 0, priority: 3, fin: false, unidirectional: true, headerBlock: Buffer.from('abc') },
      { type: 'SYN_REPLY', streamId: 1, fin: true, headerBlock: Buffer.from('xyz') },
      { type: 'RST_STREAM', streamId: 3, status: 5 },
      { type: 'SETTINGS', clear: true, settings: [{ id: 7, flags: 1, value: 1 << 20 }, { id: 4, flags: 0, value: 100 }] },
      { type: 'PING', id: 0xfffffffe },
      { type: 'GOAWAY', lastGoodStreamId: 7, status: 1 },
      { type: 'HEADERS', streamId: 5, fin: false, headerBlock: Buffer.from('h') },
      { type: 'WINDOW_UPDATE', streamId: 0, delta: 0x7fffffff },
      { type: 'DATA', streamId: 0x7fffffff, fin: true, data: Buffer.alloc(70_000, 7) },
      { type: 'DATA', streamId: 9, fin: false, data: Buffer.alloc(0) },
    ];
    const wire = Buffer.concat(frames.map(encodeFrame));
    // Control frames start with the control bit and version 3.
    assert.equal(wire.readUInt16BE(0), 0x8003);
    const whole = new FrameDecoder().push(wire);
    assert.deepEqual(whole, frames);
    const d = new FrameDecoder();
    const trickled: SpdyFrame[] = [];
    for (let i = 0; i < wire.length; i += 997) trickled.push(...d.push(wire.subarray(i, i + 997)));
    assert.deepEqual(trickled, frames);
    assert.equal(d.buffered, 0);
  });

  void it('ignores unknown control frames and rejects other SPDY versions', () => {
    const unknown = Buffer.from([0x80, 0x03, 0x00, 0x0a, 0, 0, 0, 1, 0xff]);
    assert.deepEqual(new FrameDecoder().push(unknown), [{ type: 'UNKNOWN', controlType: 10 }]);
    const v2 = Buffer.from([0x80, 0x02, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1]);
    assert.throws(() => new FrameDecoder().push(v2), SpdyProtocolError);
    const short = Buffer.from([0x80, 0x03, 0x00, 0x03, 0, 0, 0, 2, 0, 1]);
    assert.throws(() => new FrameDecoder().push(short), /RST_STREAM frame too short/);
  });

  void it('encodes header blocks with lower-case names and NUL-joined values', () => {
    const block = encodeHeaderBlock({ StreamType: 'data', Port: '80', multi: ['a', 'b'] });
    assert.deepEqual(decodeHeaderBlock(block), { streamtype: ['data'], port: ['80'], multi: ['a', 'b'] });
    assert.throws(() => decodeHeaderBlock(block.subarray(0, block.length - 1)), /truncated/);
  });

  void it('compresses header blocks with one zlib context per direction across frames', async () => {
    const c = new HeaderCompressor();
    const d = new HeaderDecompressor();
    const blocks = [];
    for (let i = 0; i < 5; i++) blocks.push(await c.compress({ streamtype: i % 2 ? 'data' : 'error', port: '8080', requestid: String(i) }));
    // Later blocks reuse the shared window: much smaller than the first.
    assert.ok((blocks[4]?.length ?? 0) < (blocks[0]?.length ?? 0) / 2, `blocks ${blocks.map((b) => b.length).join(',')}`);
    for (let i = 0; i < 5; i++) assert.deepEqual(await d.decompress(blocks[i] ?? Buffer.alloc(0)), { streamtype: [i % 2 ? 'data' : 'error'], port: ['8080'], requestid: [String(i)] });
    // A block out of order breaks the context: the peer's blocks must be decoded in wire order.
    const fresh = new HeaderDecompressor();
    await assert.rejects(fresh.decompress(blocks[3] ?? Buffer.alloc(0)), SpdyProtocolError);
    for (const x of [c, d, fresh]) x.close();
  });
});
