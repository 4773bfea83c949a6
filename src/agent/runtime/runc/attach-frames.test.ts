import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttachFrameDecoder, encodeAttachFrames } from './attach-frames.js';

test('attach frames survive any chunking and large data is split', () => {
  const wire = Buffer.concat([encodeAttachFrames(1, Buffer.from('hello')), encodeAttachFrames(255, Buffer.alloc(0)), encodeAttachFrames(2, Buffer.from('err'))]);
  const decoder = new AttachFrameDecoder();
  const frames = [...wire].flatMap((byte) => decoder.push(Buffer.from([byte])));
  assert.deepEqual(
    frames.map((f) => [f.type, f.data.toString()]),
    [
      [1, 'hello'],
      [255, ''],
      [2, 'err'],
    ],
  );
  const big = encodeAttachFrames(0, Buffer.alloc((1 << 20) + 10, 7));
  const parts = new AttachFrameDecoder().push(big);
  assert.deepEqual(
    parts.map((p) => p.data.length),
    [1 << 20, 10],
  );
});
