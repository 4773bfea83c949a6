import assert from 'node:assert/strict';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { JsonParts } from './object-json.js';
import { tooManyRequests } from '../../api/meta/status-error.js';
import { encodeStatus, writeEncodedStatus, writeJson, writeStatus } from './write.js';

/** fetchOnce serves one response written by `write` on loopback and returns what a client receives. */
async function fetchOnce(write: (res: import('node:http').ServerResponse) => void): Promise<{ length: string | undefined; body: Buffer; status: number; headers: import('node:http').IncomingHttpHeaders }> {
  const server = createServer((_req, res) => write(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ length: res.headers['content-length'], body: Buffer.concat(chunks), status: res.statusCode ?? 0, headers: res.headers }));
        res.on('error', reject);
      }).on('error', reject);
    });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

describe('writeJson() with JsonParts', () => {
  it('writes a small body in one piece', async () => {
    const parts = new JsonParts([Buffer.from('{"a":'), Buffer.from('1}')]);
    const got = await fetchOnce((res) => writeJson(res, 200, parts));
    assert.equal(got.body.toString(), '{"a":1}');
    assert.equal(got.length, '7');
  });
  it('streams a large body (thousands of parts) byte for byte, with its Content-Length', async () => {
    const item = Buffer.from(JSON.stringify({ metadata: { name: 'x'.repeat(2000) } }));
    const parts: Buffer[] = [Buffer.from('{"items":[')];
    for (let i = 0; i < 3000; i++) {
      if (i > 0) parts.push(Buffer.from(','));
      parts.push(item);
    }
    parts.push(Buffer.from(']}'));
    const body = new JsonParts(parts);
    assert.ok(body.byteLength > 4 * 1024 * 1024);
    const got = await fetchOnce((res) => writeJson(res, 200, body));
    assert.equal(got.length, String(body.byteLength));
    assert.ok(got.body.equals(body.toBuffer()));
    assert.equal((JSON.parse(got.body.toString()) as { items: unknown[] }).items.length, 3000);
  });
});

describe('writeJson() with a body filled on demand', () => {
  it('makes each chunk only when the previous one was taken, and writes them byte for byte', async () => {
    const chunk = Buffer.alloc(300 * 1024, 0x61);
    let made = 0;
    let taken = 0;
    const count = 20;
    const body = JsonParts.filled(2 + count * chunk.length + 1, function* () {
      yield Buffer.from('["');
      for (let i = 0; i < count; i++) {
        assert.equal(made, taken, 'no chunk is made before the one before it was taken');
        made++;
        yield chunk;
        taken++;
      }
      yield Buffer.from('"');
    });
    assert.ok(body.isFilled);
    const got = await fetchOnce((res) => writeJson(res, 200, body));
    assert.equal(made, count);
    assert.equal(got.length, String(body.byteLength));
    assert.equal(got.body.length, body.byteLength);
    assert.ok(got.body.equals(Buffer.concat([Buffer.from('["'), ...Array.from({ length: count }, () => chunk), Buffer.from('"')])));
    // Read in full, the document is filled once more (the same bytes) and kept.
    assert.ok(body.toBuffer().equals(got.body));
    assert.equal(body.isFilled, false);
  });
});

describe('writeEncodedStatus()', () => {
  it('answers exactly as writeStatus does with the Status it was encoded from, Retry-After included', async () => {
    const status = tooManyRequests('Too many requests, please try again later.', 1);
    const encoded = encodeStatus(status);
    const plain = await fetchOnce((res) => writeStatus(res, status));
    const fast = await fetchOnce((res) => writeEncodedStatus(res, encoded));
    assert.equal(fast.status, 429);
    assert.equal(fast.headers['retry-after'], '1');
    const { date: _d1, ...plainHeaders } = plain.headers;
    const { date: _d2, ...fastHeaders } = fast.headers;
    assert.deepEqual(fastHeaders, plainHeaders);
    assert.equal(fast.body.toString(), plain.body.toString());
    assert.equal((JSON.parse(fast.body.toString()) as { reason: string }).reason, 'TooManyRequests');
  });
});
