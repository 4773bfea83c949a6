import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditEvent } from '../audit/audit-event.js';
import { AuditPolicy } from '../audit/audit-policy.js';
import type { RequestInfo } from '../request/request-info.js';
import { Auditor } from './audit.js';

const info = (verb: string, resource = 'configmaps'): RequestInfo => ({
  isResourceRequest: true,
  path: `/api/v1/namespaces/default/${resource}`,
  verb,
  apiPrefix: 'api',
  apiGroup: '',
  apiVersion: 'v1',
  namespace: 'default',
  resource,
  subresource: '',
  name: '',
  parts: [],
});

/** serve runs one request through an Auditor around `handler` and returns the events written. */
async function serve(policy: AuditPolicy, verb: string, handler: (res: ServerResponse, auditor: Auditor, req: IncomingMessage) => void, body = '', audited = true): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  const auditor = new Auditor({ policy, sink: (e) => events.push(e) });
  const server = createServer((req, res) => {
    const record = auditor.begin({ req, res, auditId: 'id-1', info: info(verb), user: { username: 'alice', groups: ['devs'] }, longRunning: verb === 'watch' });
    res.once('close', () => record?.complete(res.statusCode));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      auditor.recordRequestBody(req, Buffer.concat(chunks));
      handler(res, auditor, req);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done, fail) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/x', headers: { 'content-type': 'application/json', authorization: 'Bearer very-secret' } }, (res) => {
      res.resume();
      res.on('end', done);
    });
    req.on('error', fail);
    req.end(body);
  });
  const deadline = Date.now() + 5000;
  while (audited && !events.some((e) => e.stage === 'ResponseComplete') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await new Promise<void>((r) => server.close(() => r()));
  return events;
}

const json = (res: ServerResponse, code: number, body: unknown): void => {
  res.statusCode = code;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
};

describe('Auditor', () => {
  it('writes RequestReceived and ResponseComplete with request and response at RequestResponse', async () => {
    const events = await serve(new AuditPolicy([{ level: 'RequestResponse' }]), 'create', (res) => json(res, 201, { kind: 'ConfigMap', metadata: { name: 'c' } }), '{"kind":"ConfigMap"}');
    assert.deepEqual(events.map((e) => e.stage), ['RequestReceived', 'ResponseComplete']);
    const done = events[1];
    assert.equal(done?.user.username, 'alice');
    assert.deepEqual(done?.requestObject, { kind: 'ConfigMap' });
    assert.deepEqual(done?.responseObject, { kind: 'ConfigMap', metadata: { name: 'c' } });
    assert.deepEqual(done?.responseStatus, { metadata: {}, code: 201 });
    assert.deepEqual(done?.objectRef, { resource: 'configmaps', namespace: 'default', apiVersion: 'v1' });
    assert.equal(JSON.stringify(events).includes('very-secret'), false);
  });

  it('records only metadata and a failure Status at Metadata', async () => {
    const events = await serve(new AuditPolicy([{ level: 'Metadata' }], ['RequestReceived']), 'create', (res) =>
      json(res, 409, { kind: 'Status', status: 'Failure', reason: 'AlreadyExists', message: 'configmaps "c" already exists', code: 409 }), '{"data":{"k":"v"}}');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.requestObject, undefined);
    assert.equal(events[0]?.responseObject, undefined);
    assert.deepEqual(events[0]?.responseStatus, { metadata: {}, code: 409, status: 'Failure', reason: 'AlreadyExists', message: 'configmaps "c" already exists' });
  });

  it('marks the start of a long-running response', async () => {
    const events = await serve(new AuditPolicy([{ level: 'Metadata' }]), 'watch', (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
    assert.deepEqual(events.map((e) => e.stage), ['RequestReceived', 'ResponseStarted', 'ResponseComplete']);
  });

  it('writes nothing at level None', async () => {
    assert.deepEqual(await serve(new AuditPolicy([]), 'get', (res) => json(res, 200, {}), '', false), []);
  });
});
