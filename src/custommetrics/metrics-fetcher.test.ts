import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { httpMetricsFetcher, MAX_METRICS_BODY_BYTES } from './metrics-fetcher.js';

void describe('httpMetricsFetcher', () => {
  let server: Server;
  let base = '';
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok') {
        res.setHeader('Content-Type', 'text/plain; version=0.0.4');
        res.end(`x 1\naccept ${JSON.stringify(req.headers.accept)}\n`);
      } else if (req.url === '/slow') {
        // Never answers; the fetcher's timeout must.
      } else if (req.url === '/huge') {
        res.end(Buffer.alloc(MAX_METRICS_BODY_BYTES + 1, 'a'));
      } else {
        res.statusCode = 500;
        res.end('boom');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  void it('returns the body and its content type, asking for the text format first', async () => {
    const r = await httpMetricsFetcher(`${base}/ok`, { timeoutMs: 5000 });
    assert.ok('body' in r);
    assert.match(r.body, /^x 1\naccept "text\/plain;version=0\.0\.4/);
    assert.match(r.contentType, /^text\/plain/);
  });

  void it('turns failures into values: HTTP errors, timeouts, oversized bodies, refused connections, bad URLs', async () => {
    assert.deepEqual(await httpMetricsFetcher(`${base}/error`, { timeoutMs: 5000 }), { error: `GET ${base}/error: HTTP 500` });
    assert.match((await httpMetricsFetcher(`${base}/slow`, { timeoutMs: 200 }) as { error: string }).error, /no answer within 200 ms/);
    assert.match((await httpMetricsFetcher(`${base}/huge`, { timeoutMs: 5000 }) as { error: string }).error, /larger than/);
    assert.match((await httpMetricsFetcher('http://127.0.0.1:1/metrics', { timeoutMs: 5000 }) as { error: string }).error, /ECONNREFUSED/);
    assert.match((await httpMetricsFetcher('not a url', { timeoutMs: 5000 }) as { error: string }).error, /invalid URL/);
    assert.match((await httpMetricsFetcher('ftp://127.0.0.1/x', { timeoutMs: 5000 }) as { error: string }).error, /unsupported scheme/);
  });
});
