import assert from 'node:assert/strict';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { JsonParts } from './object-json.js';
import { writeJson } from './write.js';

/** fetchOnce serves one response written by `write` on loopback and returns what a client receives. */
async function fetchOnce(write: (res: import('node:http').ServerResponse) => void): Promise<{ length: string | undefined; body: Buffer }> {
  const server = createServer((_req, res) => write(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ length: res.headers['content-length'], body: Buffer.concat(chunks) }));
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
