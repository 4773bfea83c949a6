import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFrame, encodeFrame, errorChannelMessage, negotiateProtocol, parseResize } from './websocket-channels.js';

test('negotiateProtocol prefers the newest protocol the client offers', () => {
  assert.equal(negotiateProtocol(['v4.channel.k8s.io', 'v5.channel.k8s.io', 'channel.k8s.io']), 'v5.channel.k8s.io');
  assert.equal(negotiateProtocol([' v4.channel.k8s.io', 'base64.channel.k8s.io']), 'v4.channel.k8s.io');
  assert.equal(negotiateProtocol(['SPDY/3.1+portforward.k8s.io']), undefined);
});

test('frames carry the channel in their first byte', () => {
  const f = encodeFrame(2, 'oops');
  assert.deepEqual([...f], [2, 0x6f, 0x6f, 0x70, 0x73]);
  assert.deepEqual(decodeFrame(f), { channel: 2, data: Buffer.from('oops') });
  assert.deepEqual(decodeFrame(Buffer.from([255, 0])), { channel: 255, data: Buffer.from([0]) });
  assert.equal(decodeFrame(Buffer.alloc(0)), undefined);
});

test('parseResize reads Width and Height and rejects anything else', () => {
  assert.deepEqual(parseResize(Buffer.from('{"Width":80,"Height":24}')), { width: 80, height: 24 });
  assert.equal(parseResize(Buffer.from('{"width":80}')), undefined);
  assert.equal(parseResize(Buffer.from('{"Width":-1,"Height":2}')), undefined);
  assert.equal(parseResize(Buffer.from('not json')), undefined);
});

test('errorChannelMessage: a Status from v4 on, text before', () => {
  assert.equal(errorChannelMessage(5, { exitCode: 0 }), '{"metadata":{},"status":"Success"}');
  const failed = JSON.parse(errorChannelMessage(4, { exitCode: 42 })) as { status: string; reason: string; details: unknown };
  assert.equal(failed.status, 'Failure');
  assert.equal(failed.reason, 'NonZeroExitCode');
  assert.deepEqual(failed.details, { causes: [{ reason: 'ExitCode', message: '42' }] });
  assert.equal((JSON.parse(errorChannelMessage(5, { error: 'no such file' })) as { message: string }).message, 'no such file');
  assert.equal(errorChannelMessage(3, { exitCode: 0 }), '');
  assert.equal(errorChannelMessage(2, { exitCode: 1 }), 'command terminated with non-zero exit code: exit status 1');
  assert.equal(errorChannelMessage(1, { error: 'boom' }), 'boom');
});
