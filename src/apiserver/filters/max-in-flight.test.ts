import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { resolveRequestInfo } from '../request/request-info-resolver.js';
import { isLongRunning, MaxInFlightLimit, requestKind } from './max-in-flight.js';

const info = (method: string, path: string) => resolveRequestInfo(method, new URL(`https://h${path}`));

class FakeResponse extends EventEmitter {
  headWritten = 0;
  writeHead(): this {
    this.headWritten++;
    return this;
  }
}
const fake = (): FakeResponse & ServerResponse => new FakeResponse() as FakeResponse & ServerResponse;

test('requestKind() and isLongRunning() classify requests', () => {
  assert.equal(requestKind(info('GET', '/api/v1/pods')), 'readOnly');
  assert.equal(requestKind(info('GET', '/api/v1/pods?watch=1')), 'readOnly');
  assert.equal(requestKind(info('POST', '/api/v1/namespaces/n/pods')), 'mutating');
  assert.equal(requestKind(info('DELETE', '/api/v1/namespaces/n/pods')), 'mutating');
  assert.equal(isLongRunning(info('GET', '/api/v1/pods?watch=1')), true);
  assert.equal(isLongRunning(info('GET', '/api/v1/namespaces/n/pods/p/log')), true);
  assert.equal(isLongRunning(info('POST', '/api/v1/namespaces/n/pods/p/exec')), true);
  assert.equal(isLongRunning(info('GET', '/api/v1/pods')), false);
});

test('MaxInFlightLimit refuses beyond the limit and frees slots on close', () => {
  const counts: string[] = [];
  const limit = new MaxInFlightLimit({ maxReadOnly: 2, maxMutating: 1, onChange: (k, n) => counts.push(`${k}=${n}`) });
  const a = fake();
  const b = fake();
  assert.ok(limit.tryAcquire(info('GET', '/api/v1/pods'), a));
  assert.ok(limit.tryAcquire(info('GET', '/api/v1/pods'), b));
  assert.equal(limit.tryAcquire(info('GET', '/api/v1/pods'), fake()), undefined);
  assert.ok(limit.tryAcquire(info('POST', '/api/v1/namespaces/n/pods'), fake()));
  a.emit('close');
  a.emit('close');
  assert.equal(limit.inFlight('readOnly'), 1);
  assert.ok(limit.tryAcquire(info('GET', '/api/v1/pods'), fake()));
  assert.deepEqual(counts.slice(0, 4), ['readOnly=1', 'readOnly=2', 'mutating=1', 'readOnly=1']);
});

test('MaxInFlightLimit releases a watch when it starts streaming', () => {
  const limit = new MaxInFlightLimit({ maxReadOnly: 1 });
  const w = fake();
  assert.ok(limit.tryAcquire(info('GET', '/api/v1/pods?watch=true'), w));
  assert.equal(limit.tryAcquire(info('GET', '/api/v1/pods'), fake()), undefined);
  w.writeHead();
  assert.equal(w.headWritten, 1);
  assert.equal(limit.inFlight('readOnly'), 0);
  w.emit('close');
  assert.equal(limit.inFlight('readOnly'), 0);
});

test('a limit of 0 disables limiting', () => {
  const limit = new MaxInFlightLimit({ maxReadOnly: 0 });
  for (let i = 0; i < 1000; i++) assert.ok(limit.tryAcquire(info('GET', '/api/v1/pods'), fake()));
});
