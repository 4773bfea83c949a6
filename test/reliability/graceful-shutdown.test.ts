/**
 * Graceful shutdown of a real `tkube server` process (issue 11 item 7): after SIGTERM, a request already in flight (a
 * create whose body is still arriving) finishes with 201, while new requests are answered 429 with Retry-After and
 * `Connection: close`; then the process exits. ApiServer's own drain is unit-tested in src/apiserver/server.test.ts;
 * this checks that the command's signal handling goes through it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { eventually, TestCluster } from '../harness/test-cluster.js';

describe('graceful shutdown', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start();
  });
  after(async () => {
    await c?.stop();
  });

  it('finishes the in-flight create and answers new requests 429 + Retry-After until it exits', { timeout: 60_000 }, async () => {
    const creds = c.credentials();
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'in-flight' }, data: { k: 'v' } });
    const req = request(new URL('/api/v1/namespaces/default/configmaps', c.url), {
      method: 'POST',
      agent: false,
      ca: creds.ca,
      cert: creds.cert,
      key: creds.key,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    });
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
    });
    // Headers and half the body: the server admits the request and waits for the rest.
    req.write(body.slice(0, 20));
    await eventually(async () => /^apiserver_current_inflight_requests\{request_kind="mutating"\} [1-9]/m.test((await c.request('/metrics')).body));

    process.kill(c.pid, 'SIGTERM');
    const during = await eventually(async () => {
      const r = await c.request('/api/v1/namespaces/default/configmaps');
      return r.status === 429 ? r : undefined;
    });
    assert.equal(during.headers['retry-after'], '1');
    assert.equal(during.headers['connection'], 'close');
    assert.match(during.body, /shutting down/);

    req.end(body.slice(20));
    const created = await answered;
    assert.equal(created.status, 201, created.body);
    assert.equal((JSON.parse(created.body) as { metadata: { name: string } }).metadata.name, 'in-flight');
    await eventually(async () => ((await c.exited()) !== 'none' ? true : undefined), 40_000);
  });
});
