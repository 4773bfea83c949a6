import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtobufDecodeError } from './protobuf-errors.js';
import { WireReader, WireType } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

describe('WireReader/WireWriter', () => {
  it('round-trips int64 values across the 32-bit boundary and negatives', () => {
    const values = [0, 1, 127, 128, 300, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, -1, -2, -(2 ** 31), -(2 ** 40), -(2 ** 53 - 1)];
    const w = new WireWriter();
    for (const v of values) w.int64(v);
    const r = new WireReader(w.finish());
    for (const v of values) assert.equal(r.int64(), v);
    assert.ok(r.done);
  });
  it('reads negative int32 written sign-extended to ten bytes', () => {
    const w = new WireWriter();
    w.int64(-5);
    const bytes = w.finish();
    assert.equal(bytes.length, 10);
    assert.equal(new WireReader(bytes).int32(), -5);
  });
  it('round-trips doubles, booleans and strings', () => {
    const w = new WireWriter();
    w.double(-1.25);
    w.bool(true);
    w.string('héllo');
    const r = new WireReader(w.finish());
    assert.equal(r.double(), -1.25);
    assert.equal(r.bool(), true);
    assert.equal(r.string(), 'héllo');
  });
  it('throws ProtobufDecodeError on truncation, overlong varints and group wire types', () => {
    assert.throws(() => new WireReader(Uint8Array.of(0x80)).uint32(), ProtobufDecodeError);
    assert.throws(() => new WireReader(new Uint8Array(11).fill(0xff)).varint64(), /longer than 10 bytes/);
    assert.throws(() => new WireReader(Uint8Array.of(0x05, 1, 2)).bytes(), /truncated/);
    assert.throws(() => new WireReader(Uint8Array.of(1, 2)).double(), /truncated/);
    assert.throws(() => new WireReader(Uint8Array.of()).skip(WireType.StartGroup), ProtobufDecodeError);
    assert.throws(() => new WireReader(Uint8Array.of(0x02)).tag(), /field number 0/);
  });
});
