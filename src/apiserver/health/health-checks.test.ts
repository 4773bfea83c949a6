import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { FakeClock } from '../../base/clock/clock.js';
import { HEALTH_CHECK_TIMEOUT_MS, HealthEndpoint, PING_CHECK } from './health-checks.js';

class FakeResponse {
  statusCode = 0;
  body = '';
  readonly headers = new Map<string, unknown>();
  setHeader(name: string, value: unknown): void {
    this.headers.set(name.toLowerCase(), value);
  }
  end(text: string): void {
    this.body = text;
  }
}

test('HealthEndpoint fails a check that does not answer in time and reports why to onFailure', async () => {
  const clock = new FakeClock();
  const failures: string[] = [];
  const endpoint = new HealthEndpoint({
    name: 'readyz',
    checks: () => [PING_CHECK, { name: 'etcd', check: () => new Promise<void>(() => undefined) }],
    onFailure: (name, err) => failures.push(`${name}: ${err.message}`),
    clock,
  });
  const res = new FakeResponse();
  const served = endpoint.serve('/readyz', new URLSearchParams(), res as unknown as ServerResponse);
  await new Promise((r) => setImmediate(r));
  clock.advance(HEALTH_CHECK_TIMEOUT_MS);
  await served;
  assert.equal(res.statusCode, 500);
  assert.equal(res.body, '[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n');
  assert.deepEqual(failures, ['etcd: Cannot complete check etcd: timed out']);
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
});

test('HealthEndpoint serves single checks and 404s unknown ones', async () => {
  const endpoint = new HealthEndpoint({ name: 'livez', checks: () => [PING_CHECK], onFailure: () => undefined });
  const ok = new FakeResponse();
  await endpoint.serve('/livez/ping', new URLSearchParams(), ok as unknown as ServerResponse);
  assert.deepEqual([ok.statusCode, ok.body], [200, 'ok']);
  const missing = new FakeResponse();
  await endpoint.serve('/livez/etcd', new URLSearchParams(), missing as unknown as ServerResponse);
  assert.equal(missing.statusCode, 404);
});
