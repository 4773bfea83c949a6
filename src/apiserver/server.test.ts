import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type Agent } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { connect } from 'node:tls';
import { notFound as notFoundError } from '../api/meta/status-error.js';
import type { Logger } from '../base/log/logger.js';
import { ClientCertAuthenticator, TokenAuthenticator } from './filters/authentication.js';
import { LoopbackAuthenticator } from './filters/loopback-authentication.js';
import { decodeBody } from './negotiation/decode-body.js';
import type { ServedDocument } from './negotiation/served-document.js';
import { writeJson } from './negotiation/write.js';
import type { RequestScope, ResourceHandler } from './request/request-scope.js';
import { WebSocket, WebSocketServer } from 'ws';
import { ApiServer, type ApiServerConfig, type DiscoveryProvider, type OpenApiProvider, type UpgradeHandler } from './server.js';

/** kubectl runs the real kubectl with stdin closed (it prompts for a password on 401 otherwise). */
function kubectl(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('kubectl', args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stdout, stderr }));
      else resolve({ stdout, stderr });
    });
    child.stdin?.end();
  });
}

interface Pki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  rogueCert: string;
  rogueKey: string;
}

/** makePki writes a CA, a serving cert for 127.0.0.1, a client cert from the CA and one from a rogue CA. */
function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'tkube-apiserver-test-'));
  const ossl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'rogue-ca']) ossl('req', '-x509', ...key, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '1', '-subj', `/CN=${ca}`);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  const issue = (name: string, subj: string, ca: string, ext: string): void => {
    ossl('req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', ext);
  };
  issue('server', '/CN=apiserver', 'ca', 'server.ext');
  issue('client', '/O=devs/O=ops/CN=alice', 'ca', 'client.ext');
  issue('rogue', '/O=system:masters/CN=mallory', 'rogue-ca', 'client.ext');
  const r = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caCert: r('ca.crt'),
    serverCert: r('server.crt'),
    serverKey: r('server.key'),
    clientCert: r('client.crt'),
    clientKey: r('client.key'),
    rogueCert: r('rogue.crt'),
    rogueKey: r('rogue.key'),
  };
}

function silentLogger(): Logger {
  const noop = (): void => undefined;
  return { error: noop, warn: noop, info: noop, debug: noop, child: () => silentLogger() };
}

function doc(value: unknown): ServedDocument {
  const json = JSON.stringify(value);
  const hash = createHash('sha512').update(json).digest('hex').toUpperCase();
  return { json, hash, etag: `"${hash}"` };
}

const discovery: DiscoveryProvider = {
  apiVersions: () => doc({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] }),
  apiGroupList: () => doc({ kind: 'APIGroupList', apiVersion: 'v1', groups: [] }),
  apiGroup: (g) => (g === 'apps' ? doc({ kind: 'APIGroup', name: 'apps' }) : undefined),
  apiResourceList: (g, v) => (v === 'v1' && (g === '' || g === 'apps') ? doc({ kind: 'APIResourceList', groupVersion: g ? `${g}/${v}` : v, resources: [] }) : undefined),
  aggregated: (prefix) => Promise.resolve(doc({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', items: [], prefix })),
};

const appsDoc = doc({ openapi: '3.0.0', paths: {} });
const openApi: OpenApiProvider = {
  v2: () => doc({ swagger: '2.0' }),
  v3Index: () => doc({ paths: { 'apis/apps/v1': { serverRelativeURL: `/openapi/v3/apis/apps/v1?hash=${appsDoc.hash}` } } }),
  v3: (path) => (path === 'apis/apps/v1' ? appsDoc : undefined),
};

/** The fake handler: behaviour chosen by resource name. */
class FakeHandler implements ResourceHandler {
  readonly seen: RequestScope[] = [];
  slowWaiting = 0;
  #releaseSlow: (() => void)[] = [];

  releaseSlow(): void {
    for (const r of this.#releaseSlow.splice(0)) r();
  }

  async handle(scope: RequestScope): Promise<void> {
    this.seen.push(scope);
    const { info, res } = scope;
    switch (info.resource) {
      case 'slow':
        this.slowWaiting++;
        await new Promise<void>((resolve) => this.#releaseSlow.push(resolve));
        this.slowWaiting--;
        return writeJson(res, 200, { kind: 'Slow' });
      case 'boom':
        throw new Error('kaboom in handler');
      case 'missing':
        throw notFoundError({ group: '', resource: 'missing' }, info.name);
      case 'silent':
        return;
      case 'watchers':
        if (info.verb !== 'watch') break;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"type":"ADDED","object":{}}\n');
        await new Promise<void>((resolve) => (scope.signal.aborted ? resolve() : scope.signal.addEventListener('abort', () => resolve())));
        res.end();
        return;
      case 'big':
        // A response far above the socket's high-water mark, still draining when the client's next request arrives.
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        res.end(Buffer.alloc(BIG_RESPONSE_BYTES, 0x2e));
        return;
      case 'deferred':
        // Answered from the check phase (setImmediate), as a store that makes a write durable inline answers it.
        await new Promise<void>((resolve) => setImmediate(resolve));
        res.writeHead(201, { 'Content-Type': 'application/octet-stream' });
        res.end(Buffer.alloc(DEFERRED_RESPONSE_BYTES, 0x2e));
        return;
      case 'decode': {
        const obj = decodeBody(scope.req.headers['content-type'], scope.body, { strict: scope.url.searchParams.get('fieldValidation') === 'Strict' });
        return writeJson(res, 201, { decoded: obj, bytes: scope.body.length });
      }
    }
    return writeJson(res, 200, { kind: 'Echo', verb: info.verb, resource: info.resource, namespace: info.namespace, name: info.name, user: scope.user, bytes: scope.body.length });
  }
}

/** The fake upgrade handler: accepts pods/exec over WebSocket and greets with the user's name; refuses others. */
const wss = new WebSocketServer({ noServer: true });
const upgradeHandler: UpgradeHandler = {
  handleUpgrade: ({ info, user, req, socket, head, signal }) => {
    if (info.subresource !== 'exec') return Promise.reject(notFoundError({ group: '', resource: info.resource }, info.name));
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(`hello ${user.username} in ${info.namespace}/${info.name}`);
      signal.addEventListener('abort', () => ws.close());
    });
    return Promise.resolve();
  },
};

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): Record<string, unknown>;
}

interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  token?: string;
  cert?: string;
  key?: string;
  agent?: Agent;
  port?: number;
}

let pki: Pki;
let server: ApiServer;
let port: number;
const handler = new FakeHandler();
let readyzFailing = false;
const TOKEN = 'secret-token-1';

function call(path: string, o: CallOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers['Authorization'] = `Bearer ${o.token}`;
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: o.port ?? port,
        path,
        method: o.method ?? 'GET',
        headers,
        ca: pki.caCert,
        cert: o.cert,
        key: o.key,
        agent: o.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function config(overrides: Partial<ApiServerConfig> = {}): ApiServerConfig {
  return {
    bindAddress: '127.0.0.1',
    port: 0,
    tls: { certPem: pki.serverCert, keyPem: pki.serverKey, clientCaPem: pki.caCert },
    authenticators: [new ClientCertAuthenticator(), new TokenAuthenticator({ [TOKEN]: { username: 'admin', groups: ['system:masters'] } })],
    resourceHandler: handler,
    upgradeHandler,
    discovery,
    openApi,
    maxReadOnlyInFlight: 3,
    maxMutatingInFlight: 2,
    // The plain limits are what these tests check; priority and fairness has its own tests.
    enablePriorityAndFairness: false,
    readyzChecks: [{ name: 'etcd', check: () => (readyzFailing ? Promise.reject(new Error('db closed')) : Promise.resolve()) }],
    storageObjectCounts: () => Promise.resolve({ pods: 7 }),
    storageStats: () => Promise.resolve({ dbSizeBytes: 4096, currentRevision: 12, compactRevision: 3, keys: 9 }),
    requestBodyTimeoutMs: 400,
    headersTimeoutMs: 600,
    connectionsCheckingIntervalMs: 100,
    log: silentLogger(),
    ...overrides,
  };
}

before(async () => {
  pki = makePki();
  server = new ApiServer(config());
  ({ port } = await server.start());
});

after(async () => {
  handler.releaseSlow();
  await server.stop();
  rmSync(pki.dir, { recursive: true, force: true });
});

test('requests without credentials get 401 Status except on health and version paths', async () => {
  for (const path of ['/api/v1/namespaces/default/pods', '/metrics', '/api', '/openapi/v3', '/nope']) {
    const r = await call(path);
    assert.equal(r.status, 401, path);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(r.json(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  }
  assert.equal((await call('/livez')).text, 'ok');
  assert.equal((await call('/readyz')).text, 'ok');
  assert.equal((await call('/healthz')).text, 'ok');
  assert.equal((await call('/readyz/etcd')).text, 'ok');
  const version = (await call('/version')).json();
  assert.equal(version['major'], '1');
  assert.match(String(version['gitVersion']), /^v1\.\d+\.\d+\+tkube/);
  assert.equal(version['platform'], `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`);
  const bad = await call('/api/v1/pods', { token: 'wrong' });
  assert.equal(bad.status, 401);
});

test('health endpoints list checks verbosely, exclude checks and withhold failure reasons', async () => {
  const verbose = await call('/readyz?verbose');
  assert.equal(verbose.text, '[+]ping ok\n[+]shutdown ok\n[+]etcd ok\nreadyz check passed\n');
  assert.equal((await call('/livez?verbose')).text, '[+]ping ok\nlivez check passed\n');
  readyzFailing = true;
  try {
    const failed = await call('/readyz');
    assert.equal(failed.status, 500);
    assert.equal(failed.text, '[+]ping ok\n[+]shutdown ok\n[-]etcd failed: reason withheld\nreadyz check failed\n');
    const one = await call('/readyz/etcd');
    assert.equal(one.status, 500);
    const excluded = await call('/readyz?exclude=etcd&exclude=nope&verbose');
    assert.equal(excluded.status, 200);
    assert.match(excluded.text, /\[\+\]etcd excluded: ok\n/);
    assert.match(excluded.text, /warn: some health checks cannot be excluded: no matches for "nope"/);
    assert.equal((await call('/livez')).status, 200);
  } finally {
    readyzFailing = false;
  }
  assert.equal((await call('/livez/nope')).status, 404);
});

test('bearer tokens authenticate and the handler gets RequestInfo, user and an Audit-Id', async () => {
  const r = await call('/api/v1/namespaces/ns1/configmaps/c1', { token: TOKEN });
  assert.equal(r.status, 200);
  assert.match(String(r.headers['audit-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.deepEqual(r.json(), {
    kind: 'Echo',
    verb: 'get',
    resource: 'configmaps',
    namespace: 'ns1',
    name: 'c1',
    user: { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
    bytes: 0,
  });
});

test('client certificates from the client CA authenticate; others do not', async () => {
  const ok = await call('/api/v1/pods', { cert: pki.clientCert, key: pki.clientKey });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json()['user'], { username: 'alice', groups: ['devs', 'ops', 'system:authenticated'] });
  const rogue = await call('/api/v1/pods', { cert: pki.rogueCert, key: pki.rogueKey });
  assert.equal(rogue.status, 401);
  const rogueWithToken = await call('/api/v1/pods', { cert: pki.rogueCert, key: pki.rogueKey, token: TOKEN });
  assert.equal(rogueWithToken.json()['user'] !== undefined, true);
});

test('bodies over 3 MiB are refused with 413, by Content-Length and while streaming', async () => {
  const limit = 3 * 1024 * 1024;
  const exact = await call('/api/v1/namespaces/ns/configmaps', { method: 'POST', token: TOKEN, body: Buffer.alloc(limit, 0x20) });
  assert.equal(exact.status, 200);
  assert.equal(exact.json()['bytes'], limit);
  const over = await call('/api/v1/namespaces/ns/configmaps', { method: 'POST', token: TOKEN, body: Buffer.alloc(limit + 1, 0x20) });
  assert.equal(over.status, 413);
  assert.equal(over.json()['reason'], 'RequestEntityTooLarge');
  // Chunked: no Content-Length, so the limit is found while reading.
  const streamed = await new Promise<number>((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, method: 'POST', path: '/api/v1/namespaces/ns/configmaps', ca: pki.caCert, agent: false, headers: { Authorization: `Bearer ${TOKEN}` } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (sent <= limit + chunk.length) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  assert.equal(streamed, 413);
});

/** The size of the 'big' resource's responses. */
const BIG_RESPONSE_BYTES = 8 * 1024 * 1024;

test('a request arriving while a large response drains is served, not reset (Node pauses the parser then)', async (t) => {
  // The client asks for a large response and, once it starts arriving, stops reading and sends a create with a
  // 768 KiB body on the same connection: the server sees the create's headers while its response is still in the
  // socket's write buffer, so Node pauses the connection — with the rest of the body already decrypted. Before the
  // fix the paused parser refused those bytes (HPE_PAUSED) and the connection was closed: `read ECONNRESET`.
  const body = Buffer.alloc(768 * 1024, 0x20);
  const requests = [
    `GET /api/v1/namespaces/ns/big/b HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`,
    `POST /api/v1/namespaces/ns/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: ${body.length}\r\n\r\n`,
  ];
  // Its own server: this file's 400 ms body timeout could pass while the 8 MiB drain through TLS holds the create's
  // body unread (client and server share this process), and is not what this test is about.
  const own = new ApiServer(config({ requestBodyTimeoutMs: 60_000 }));
  const ownPort = (await own.start()).port;
  t.after(() => own.stop());
  const received = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: ownPort, ca: pki.caCert, servername: 'localhost' });
    const chunks: Buffer[] = [];
    let size = 0;
    let second = false;
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      if (!second) {
        second = true;
        socket.pause();
        socket.write(Buffer.concat([Buffer.from(requests[1] ?? ''), body]));
        // Reading again later lets the response drain; the server then reads the create, whose answer ends the exchange.
        setTimeout(() => socket.resume(), 100);
      }
      const text = Buffer.concat(chunks).toString('latin1');
      if (size > BIG_RESPONSE_BYTES && text.includes('"kind":"Echo"')) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.once('secureConnect', () => socket.write(requests[0] ?? ''));
  });
  const text = received.toString('latin1');
  assert.match(text, /^HTTP\/1\.1 200 OK/);
  const second = text.indexOf('HTTP/1.1 ', BIG_RESPONSE_BYTES);
  assert.ok(second > 0, `no answer to the create after the large response (${received.length} bytes received): ${text.slice(BIG_RESPONSE_BYTES, BIG_RESPONSE_BYTES + 300)}`);
  assert.match(text.slice(second), /^HTTP\/1\.1 200 OK/);
  assert.match(text.slice(second), new RegExp(`"verb":"create".*"bytes":${body.length}`));
});

test('a large body refused before it is read (401, 403, 429, 413) reaches the client as a Status, not a reset', async (t) => {
  // 2.9 MiB, as `kubectl create -f` of a ConfigMap near the limit sends; the refusal is written while most of it is
  // still on its way. The server must read (and discard) the rest before closing, or the client gets a reset.
  const big = Buffer.alloc(Math.floor(2.9 * 1024 * 1024), 0x20);
  const own = new ApiServer(
    config({
      requestBodyTimeoutMs: 60_000,
      // alice (client certificate) is authenticated but may do nothing; the token's admin may do anything.
      authorizer: { authorize: (user) => Promise.resolve(user.username === 'alice' ? { allowed: false, reason: 'no' } : { allowed: true }) },
    }),
  );
  const ownPort = (await own.start()).port;
  t.after(async () => {
    handler.releaseSlow();
    await own.stop();
  });
  const keepAlive = new HttpsAgent({ keepAlive: true, ca: pki.caCert });
  t.after(() => keepAlive.destroy());
  const post = (o: CallOptions, body: Buffer = big): Promise<Reply> => call('/api/v1/namespaces/ns/configmaps', { method: 'POST', port: ownPort, body, ...o });
  for (const agent of [undefined, keepAlive]) {
    const how = agent ? 'keep-alive' : 'one connection per request';
    const unauthorized = await post({ token: 'wrong', ...(agent ? { agent } : {}) });
    assert.equal(unauthorized.status, 401, how);
    assert.equal(unauthorized.json()['kind'], 'Status');
    const forbidden = await post({ cert: pki.clientCert, key: pki.clientKey, ...(agent ? { agent } : {}) });
    assert.equal(forbidden.status, 403, how);
    assert.equal(forbidden.json()['reason'], 'Forbidden');
    const tooLarge = await post({ token: TOKEN, ...(agent ? { agent } : {}) }, Buffer.alloc(3 * 1024 * 1024 + 1, 0x20));
    assert.equal(tooLarge.status, 413, how);
    // Both mutating seats taken by requests the handler holds: the next create is refused with 429.
    const slow = (): Promise<Reply> => call('/api/v1/namespaces/ns/slow', { method: 'POST', port: ownPort, token: TOKEN, body: '{}' });
    const held = [slow(), slow()];
    await until('two held creates', () => handler.slowWaiting === 2);
    const refused = await post({ token: TOKEN, ...(agent ? { agent } : {}) });
    assert.equal(refused.status, 429, how);
    handler.releaseSlow();
    await Promise.all(held);
    const accepted = await post({ token: TOKEN, ...(agent ? { agent } : {}) });
    assert.equal(accepted.status, 200, how);
  }
  // kubectl prints each refusal as the server's Status; a reset would read "connection reset by peer" or "broken pipe".
  const bigFile = join(pki.dir, 'big-refused.json');
  writeFileSync(bigFile, big);
  const hugeFile = join(pki.dir, 'huge-refused.json');
  writeFileSync(hugeFile, Buffer.alloc(3 * 1024 * 1024 + 1, 0x20));
  const server = ['--server', `https://127.0.0.1:${ownPort}`, '--certificate-authority', join(pki.dir, 'ca.crt'), '--kubeconfig', '/dev/null'];
  const alice = ['--client-certificate', join(pki.dir, 'client.crt'), '--client-key', join(pki.dir, 'client.key')];
  const cases: [string[], RegExp][] = [
    [[...server, '--token', 'wrong', 'create', '--raw', '/api/v1/namespaces/ns/configmaps', '-f', bigFile], /Unauthorized/],
    [[...server, ...alice, 'create', '--raw', '/api/v1/namespaces/ns/configmaps', '-f', bigFile], /^Error from server \(Forbidden\)/],
    [[...server, '--token', TOKEN, 'create', '--raw', '/api/v1/namespaces/ns/configmaps', '-f', hugeFile], /^Error from server \(RequestEntityTooLarge\)/],
  ];
  for (const [args, expected] of cases) {
    await assert.rejects(kubectl(args), (err: { stderr?: string }) => {
      assert.match(err.stderr ?? '', expected);
      return true;
    });
  }
});

test('a large body refused by priority and fairness reaches the client as a 429 Status, held or closed', async (t) => {
  const big = Buffer.alloc(Math.floor(2.9 * 1024 * 1024), 0x20);
  const bigFile = join(pki.dir, 'big.json');
  writeFileSync(bigFile, big);
  for (const maxHeld of [64, 0]) {
    // One seat per level, a 10 ms queue wait: a second request of alice's while her first is held times out queued.
    // With maxHeld 0 the refused connection cannot be held and is closed with its 429 (Connection: close).
    const own = new ApiServer(config({ requestBodyTimeoutMs: 60_000, enablePriorityAndFairness: true, maxReadOnlyInFlight: 1, maxMutatingInFlight: 0, flowControlQueueWaitMs: 10, flowControlMaxHeldConnectionsPerFlow: maxHeld }));
    const ownPort = (await own.start()).port;
    t.after(async () => {
      handler.releaseSlow();
      await own.stop();
    });
    const asAlice = { port: ownPort, cert: pki.clientCert, key: pki.clientKey, method: 'POST' };
    const held = call('/api/v1/namespaces/ns/slow', { ...asAlice, body: '{}' });
    await until('a held create', () => handler.slowWaiting === 1);
    const refused = await call('/api/v1/namespaces/ns/configmaps', { ...asAlice, body: big });
    assert.equal(refused.status, 429, `maxHeld ${maxHeld}`);
    assert.equal(refused.json()['reason'], 'TooManyRequests');
    // kubectl prints the Status (`create --raw` does not retry); a reset would read "connection reset by peer".
    const kubectlFlags = ['--server', `https://127.0.0.1:${ownPort}`, '--certificate-authority', join(pki.dir, 'ca.crt'), '--client-certificate', join(pki.dir, 'client.crt'), '--client-key', join(pki.dir, 'client.key'), '--kubeconfig', '/dev/null'];
    await assert.rejects(kubectl([...kubectlFlags, 'create', '--raw', '/api/v1/namespaces/ns/configmaps', '-f', bigFile]), (err: { stderr?: string }) => {
      assert.match(err.stderr ?? '', /^Error from server \(TooManyRequests\): Too many requests/, `maxHeld ${maxHeld}`);
      return true;
    });
    handler.releaseSlow();
    await held;
    await own.stop();
  }
});

/** The size of the 'deferred' resource's responses: a 768 KiB ConfigMap's 201. */
const DEFERRED_RESPONSE_BYTES = 768 * 1024;

/**
 * SEQUENTIAL_CLIENT creates with 768 KiB bodies one at a time over one keep-alive connection, each sent as soon as the
 * previous answer was read, from a process of its own (in this one, the server's event loop would pace it), and
 * prints how many were answered and how many failed.
 */
const SEQUENTIAL_CLIENT = `
  import { Agent, request } from 'node:https';
  const [port, ca, token, count] = JSON.parse(process.argv[1]);
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
  const body = Buffer.alloc(768 * 1024, 0x20);
  let answered = 0;
  const errors = [];
  for (let i = 0; i < count; i++) {
    await new Promise((done) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/namespaces/ns/deferred', agent, headers: { authorization: 'Bearer ' + token, 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => { if (res.statusCode === 201) answered++; else errors.push(res.statusCode); done(); });
      });
      req.on('error', (err) => { errors.push(err.message); done(); });
      req.end(body);
    });
  }
  agent.destroy();
  console.log(JSON.stringify({ answered, errors }));
`;

test('creates sent one at a time, each answered from the check phase with 768 KiB, are all answered (none reset)', async (t) => {
  // A response written from a setImmediate has its write completion reported in the next check phase, after the next
  // poll phase; a client that sends its next create as soon as it read the answer lands in that poll phase, where Node
  // still counts the response as draining and pauses the connection. Without the fix 2–10 of the 40 creates were reset
  // (four runs); this is the bounded-storage quota case with inline fsyncs, as it happened.
  const own = new ApiServer(config({ requestBodyTimeoutMs: 60_000 }));
  const ownPort = (await own.start()).port;
  t.after(() => own.stop());
  const count = 40;
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', SEQUENTIAL_CLIENT, JSON.stringify([ownPort, pki.caCert, TOKEN, count])], { timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
  const result = JSON.parse(out) as { answered: number; errors: unknown[] };
  assert.deepEqual(result, { answered: count, errors: [] });
});

/** rawExchange writes `parts` over TLS one at a time, `gapMs` apart, and resolves with all the server sent back. */
function rawExchange(parts: readonly string[], gapMs: number): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port, ca: pki.caCert, servername: 'localhost' });
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, ms: Date.now() - started });
    });
    socket.once('secureConnect', () => {
      let i = 0;
      const next = (): void => {
        if (socket.destroyed || i >= parts.length) return;
        socket.write(parts[i++] ?? '');
        timer = setTimeout(next, gapMs);
      };
      next();
    });
  });
}

function statusOf(raw: string): { code: number; reason?: string } {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  return { code: Number(raw.slice(9, 12)), reason: (JSON.parse(body) as { reason?: string }).reason };
}

test('headers dripped a byte at a time (slow loris) are answered 408 at the header timeout; others are served meanwhile', async () => {
  const request = `GET /api/v1/namespaces/ns/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nX-Pad: ${'a'.repeat(200)}\r\n\r\n`;
  const lorises = Array.from({ length: 5 }, () => rawExchange([...request], 20));
  const served = await call('/api/v1/namespaces/ns/configmaps', { token: TOKEN });
  assert.equal(served.status, 200);
  for (const loris of await Promise.all(lorises)) {
    assert.deepEqual(statusOf(loris.text), { code: 408, reason: 'Timeout' }, loris.text);
    assert.ok(loris.ms < 600 + 1_500, `cut after ${loris.ms} ms`);
  }
});

test('request headers past the size limit (100 KB) are answered 431, and the server carries on', async () => {
  const huge = await rawExchange([`GET /version HTTP/1.1\r\nHost: x\r\nX-Huge: ${'h'.repeat(100 * 1024)}\r\n\r\n`], 0);
  assert.deepEqual(statusOf(huge.text), { code: 431, reason: 'BadRequest' }, huge.text.slice(0, 300));
  assert.equal((await call('/readyz')).status, 200);
});

test('a body that does not arrive in time is answered 408', async () => {
  const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, method: 'POST', path: '/api/v1/namespaces/ns/configmaps', ca: pki.caCert, agent: false, headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Length': '100' } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.write('{"kind":');
  });
  assert.equal(r.status, 408);
  assert.equal((JSON.parse(r.body) as { reason: string }).reason, 'Timeout');
});

test('malformed bodies and URLs are answered with 4xx Status', async () => {
  const post = (ct: string, body: string, query = ''): Promise<Reply> =>
    call(`/api/v1/namespaces/ns/decode${query}`, { method: 'POST', token: TOKEN, body, headers: { 'Content-Type': ct } });
  const cases: [string, string, number, string?][] = [
    ['application/json', '{"kind":"ConfigMap","metadata":{"name":', 400],
    ['application/json', '['.repeat(5000) + ']'.repeat(5000), 400],
    ['application/yaml', 'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n', 400],
    ['text/plain', 'hello', 415],
    ['application/json', '{"a":1,"a":2}', 400, '?fieldValidation=Strict'],
  ];
  for (const [ct, body, code, query] of cases) {
    const r = await post(ct, body, query);
    assert.equal(r.status, code, `${ct} ${body.slice(0, 30)}`);
    assert.equal(r.json()['kind'], 'Status');
    assert.equal(r.json()['code'], code);
  }
  assert.equal((await post('application/json', '{"a":1}')).status, 201);
  const badEscape = await call('/api/v1/namespaces/%zz/pods', { token: TOKEN });
  assert.equal(badEscape.status, 400);
  assert.equal(badEscape.json()['reason'], 'BadRequest');
});

test('handler failures: StatusError passes through, exceptions become 500 without a stack, silence is a 500', async () => {
  const missing = await call('/api/v1/missing/x', { token: TOKEN });
  assert.equal(missing.status, 404);
  assert.equal(missing.json()['message'], 'missing "x" not found');
  const boom = await call('/api/v1/boom', { token: TOKEN });
  assert.equal(boom.status, 500);
  assert.equal(boom.json()['reason'], 'InternalError');
  assert.doesNotMatch(boom.text, /at .*\.ts/);
  const silent = await call('/api/v1/silent', { token: TOKEN });
  assert.equal(silent.status, 500);
});

test('a request still unanswered at its ?timeout= gets 504 and its signal aborts; bad timeouts are 400', async () => {
  const before = handler.seen.length;
  const r = await call('/api/v1/slow?timeout=200ms', { token: TOKEN });
  assert.equal(r.status, 504);
  assert.equal(r.json()['reason'], 'Timeout');
  assert.equal(handler.seen[before]?.signal.aborted, true);
  handler.releaseSlow();
  await until('the slow handler to return', () => handler.slowWaiting === 0);
  assert.equal((await call('/api/v1/pods?timeout=soon', { token: TOKEN })).status, 400);
  assert.equal((await call('/api/v1/pods?timeout=32s', { token: TOKEN })).status, 200);
});

test('requests over the in-flight limit get 429 with Retry-After; started watches do not count', async () => {
  const watch = httpsRequest({ host: '127.0.0.1', port, path: '/api/v1/watchers?watch=true', ca: pki.caCert, agent: false, headers: { Authorization: `Bearer ${TOKEN}` } });
  const watchStarted = new Promise<void>((resolve) => watch.on('response', (res) => res.once('data', () => resolve())));
  watch.on('error', () => undefined);
  watch.end();
  await watchStarted;
  const slow = [call('/api/v1/slow', { token: TOKEN }), call('/api/v1/slow', { token: TOKEN }), call('/api/v1/slow', { token: TOKEN })];
  await until('three slow requests in the handler', () => handler.slowWaiting === 3);
  const refused = await call('/api/v1/pods', { token: TOKEN });
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['retry-after'], '1');
  assert.equal(refused.json()['reason'], 'TooManyRequests');
  // Mutating requests have their own budget, and health stays reachable.
  assert.equal((await call('/api/v1/namespaces/ns/configmaps', { method: 'POST', token: TOKEN, body: '{}' })).status, 200);
  assert.equal((await call('/readyz')).status, 200);
  handler.releaseSlow();
  for (const r of await Promise.all(slow)) assert.equal(r.status, 200);
  assert.equal((await call('/api/v1/pods', { token: TOKEN })).status, 200);
  watch.destroy();
});

test('discovery negotiates aggregated v2 versus legacy documents and supports ETags', async () => {
  const v2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
  const kubectlAccept = `application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,${v2},application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json`;
  const agg = await call('/apis', { token: TOKEN, headers: { Accept: kubectlAccept } });
  assert.equal(agg.status, 200);
  assert.equal(agg.headers['content-type'], v2);
  assert.equal(agg.json()['kind'], 'APIGroupDiscoveryList');
  const again = await call('/apis', { token: TOKEN, headers: { Accept: kubectlAccept, 'If-None-Match': String(agg.headers['etag']) } });
  assert.equal(again.status, 304);
  const legacy = await call('/api', { token: TOKEN });
  assert.equal(legacy.json()['kind'], 'APIVersions');
  assert.equal((await call('/apis', { token: TOKEN, headers: { Accept: 'application/json' } })).json()['kind'], 'APIGroupList');
  assert.equal((await call('/api/v1', { token: TOKEN })).json()['groupVersion'], 'v1');
  assert.equal((await call('/apis/apps', { token: TOKEN })).json()['kind'], 'APIGroup');
  assert.equal((await call('/apis/apps/v1', { token: TOKEN })).json()['groupVersion'], 'apps/v1');
  assert.equal((await call('/apis/nope/v1', { token: TOKEN })).status, 404);
  const notFound = await call('/nothing/here', { token: TOKEN });
  assert.equal(notFound.status, 404);
  assert.equal(notFound.json()['message'], 'the server could not find the requested resource');
  assert.equal((await call('/api', { token: TOKEN, method: 'POST', body: '{}' })).status, 405);
});

test('OpenAPI: v3 index, hashed documents cached immutably, stale hashes redirected, v2 as JSON or protobuf by Accept', async () => {
  const index = await call('/openapi/v3', { token: TOKEN, headers: { Accept: 'application/json' } });
  const paths = index.json()['paths'] as Record<string, { serverRelativeURL: string }>;
  const url = paths['apis/apps/v1']?.serverRelativeURL ?? '';
  const hashed = await call(url, { token: TOKEN });
  assert.equal(hashed.status, 200);
  assert.equal(hashed.headers['cache-control'], 'public, immutable, max-age=31536000');
  const etag = String(hashed.headers['etag']);
  assert.equal((await call(url, { token: TOKEN, headers: { 'If-None-Match': etag } })).status, 304);
  const stale = await call('/openapi/v3/apis/apps/v1?hash=OLD', { token: TOKEN });
  assert.equal(stale.status, 301);
  assert.equal(stale.headers['location'], url);
  assert.equal((await call('/openapi/v3/apis/nope/v1', { token: TOKEN })).status, 404);
  const v2proto = await call('/openapi/v2', { token: TOKEN, headers: { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
  assert.equal(v2proto.status, 200);
  assert.equal(v2proto.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
  const v2json = await call('/openapi/v2', { token: TOKEN, headers: { Accept: 'application/json, application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
  assert.equal(v2json.json()['swagger'], '2.0');
  assert.notEqual(v2json.headers['etag'], v2proto.headers['etag']);
  const v2html = await call('/openapi/v2', { token: TOKEN, headers: { Accept: 'text/html' } });
  assert.equal(v2html.status, 406);
});

test('/metrics exports request, in-flight and storage families', async () => {
  await call('/api/v1/namespaces/ns1/configmaps', { token: TOKEN });
  const r = await call('/metrics', { token: TOKEN });
  assert.equal(r.status, 200);
  assert.match(r.text, /apiserver_request_total\{verb="LIST",dry_run="",group="",version="v1",resource="configmaps",subresource="",scope="namespace",component="apiserver",code="200"\} \d+/);
  assert.match(r.text, /apiserver_request_duration_seconds_bucket\{le="0.005",verb="LIST"/);
  assert.match(r.text, /apiserver_current_inflight_requests\{request_kind="readOnly"\} \d+/);
  assert.match(r.text, /apiserver_storage_objects\{resource="pods"\} 7/);
  assert.match(r.text, /apiserver_storage_size_bytes 4096/);
  assert.match(r.text, /tkube_storage_current_revision 12/);
  assert.match(r.text, /process_cpu_user_seconds_total/);
});

test('garbage on the wire gets a 400, not a hang', async () => {
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: pki.caCert }, () => socket.write('GARBAGE\r\n\r\n'));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  assert.match(reply, /^HTTP\/1\.1 400/);
});

test('upgrade requests pass authentication and reach the UpgradeHandler; failures are Status answers', async () => {
  const url = `wss://127.0.0.1:${port}/api/v1/namespaces/ns/pods/p1/exec?command=sh&stdout=true`;
  const open = (headers: Record<string, string>): Promise<{ message?: string; status?: number; body?: string }> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, ['v5.channel.k8s.io'], { ca: pki.caCert, headers });
      ws.on('message', (m: Buffer) => {
        resolve({ message: m.toString() });
        ws.close();
      });
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('error', reject);
    });
  assert.deepEqual(await open({ Authorization: `Bearer ${TOKEN}` }), { message: 'hello admin in ns/p1' });
  const anonymous = await open({});
  assert.equal(anonymous.status, 401);
  assert.equal((JSON.parse(anonymous.body ?? '{}') as { reason: string }).reason, 'Unauthorized');
  const notExec = await new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/api/v1/namespaces/ns/pods/p1/attach`, { ca: pki.caCert, headers: { Authorization: `Bearer ${TOKEN}` } });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', reject);
  });
  assert.equal(notExec, 404);
});

test('kubectl reads /version and health with a token and reports Unauthorized without one', async () => {
  const flags = ['--server', `https://127.0.0.1:${port}`, '--insecure-skip-tls-verify', '--kubeconfig', '/dev/null'];
  const version = await kubectl([...flags, '--token', TOKEN, 'get', '--raw', '/version']);
  assert.match(version.stdout, /"gitVersion": "v1\.\d+\.\d+\+tkube/);
  const readyz = await kubectl([...flags, '--token', TOKEN, 'get', '--raw', '/readyz?verbose']);
  assert.match(readyz.stdout, /readyz check passed/);
  const kv = await kubectl([...flags, '--token', TOKEN, 'version', '-o', 'json']);
  assert.match((JSON.parse(kv.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion, /\+tkube/);
  await assert.rejects(kubectl([...flags, '--token', 'wrong', 'get', '--raw', '/api/v1/pods']), (err: { stderr?: string }) => /Unauthorized/.test(err.stderr ?? ''));
  await assert.rejects(kubectl([...flags, 'get', '--raw', '/api/v1/pods']));
});

test('priority and fairness: a refused connection is not read again until its flow has room; past the per-flow cap it is closed', async () => {
  // One seat per level; queue waits and pauses long enough that only a freed seat can move anything.
  const own = new ApiServer(
    config({
      enablePriorityAndFairness: true,
      maxReadOnlyInFlight: 1,
      maxMutatingInFlight: 0,
      flowControlQueueWaitMs: 20_000,
      flowControlMaxPauseMs: 20_000,
      flowControlMaxHeldConnectionsPerFlow: 1,
      authenticators: [new TokenAuthenticator({ [TOKEN]: { username: 'admin', groups: ['system:masters'] }, 'flood-token': { username: 'flood', groups: ['system:authenticated'] } })],
    }),
  );
  const { port: ownPort } = await own.start();
  const keepAlive = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: pki.caCert });
  try {
    // One request in the level's seat and 16 (the per-flow limit) in the flow's queue.
    const slow = Array.from({ length: 17 }, () => call('/api/v1/slow', { token: 'flood-token', port: ownPort }));
    await until('one slow request executing and 16 queued', () => handler.slowWaiting === 1);
    const inQueue = async (): Promise<string> => (await call('/metrics', { token: TOKEN, port: ownPort })).text.match(/^apiserver_flowcontrol_current_inqueue_requests\{priority_level="global-default"\} (\d+)/m)?.[1] ?? '';
    const deadline = Date.now() + 5000;
    while ((await inQueue()) !== '16' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await inQueue(), '16');
    const refused = await call('/api/v1/pods', { token: 'flood-token', port: ownPort, agent: keepAlive });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], '1');
    assert.notEqual(refused.headers['connection'], 'close', 'the refused connection is kept, and held');
    // The flow may have one connection held: the next refused one is closed with its 429 instead.
    const second = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: pki.caCert });
    const overCap = await call('/api/v1/pods', { token: 'flood-token', port: ownPort, agent: second }).finally(() => second.destroy());
    assert.equal(overCap.status, 429);
    assert.equal(overCap.headers['connection'], 'close');
    assert.equal(overCap.json()['reason'], 'TooManyRequests');
    // The next request on that connection is not even read: read now, it would find the queue full and get 429 too.
    let settled = false;
    const next = call('/api/v1/pods', { token: 'flood-token', port: ownPort, agent: keepAlive }).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(settled, false, 'the held connection is not read while the flow has no room');
    // A freed seat takes a request off the flow's queue: the held connection is read, queued, and served in turn.
    const done = Promise.all(slow);
    const releasing = setInterval(() => handler.releaseSlow(), 10);
    try {
      for (const r of await done) assert.equal(r.status, 200);
      assert.equal((await next).status, 200);
    } finally {
      clearInterval(releasing);
    }
  } finally {
    keepAlive.destroy();
    handler.releaseSlow();
    await own.stop();
  }
});

test('stop() drains: in-flight requests finish, watches end, new requests get 429, then the port closes', async () => {
  const own = new ApiServer(config({ shutdownTimeoutMs: 5000 }));
  const { port: ownPort } = await own.start();
  const watchesBefore = handler.seen.filter((s) => s.info.resource === 'watchers').length;
  const watchEnded = new Promise<void>((resolve, reject) => {
    const w = httpsRequest({ host: '127.0.0.1', port: ownPort, path: '/api/v1/watchers?watch=true', ca: pki.caCert, agent: false, headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    w.on('error', reject);
    w.end();
  });
  await until('the watch to reach the handler', () => handler.seen.filter((s) => s.info.resource === 'watchers').length > watchesBefore);
  const slow = call('/api/v1/slow', { token: TOKEN, port: ownPort });
  await until('the slow request in the handler', () => handler.slowWaiting === 1);
  const stopped = own.stop();
  await watchEnded;
  const during = await call('/api/v1/pods', { token: TOKEN, port: ownPort });
  assert.equal(during.status, 429);
  assert.equal(during.headers['retry-after'], '1');
  assert.equal(during.headers['connection'], 'close');
  assert.equal(during.json()['message'], 'The apiserver is shutting down, please try again later.');
  const readyz = await call('/readyz?verbose', { port: ownPort });
  assert.equal(readyz.status, 500);
  assert.match(readyz.text, /\[-\]shutdown failed: reason withheld/);
  assert.equal((await call('/livez', { port: ownPort })).status, 200);
  handler.releaseSlow();
  assert.equal((await slow).status, 200);
  await stopped;
  await assert.rejects(call('/livez', { port: ownPort }));
});

/**
 * unixCall sends one plain-HTTP request over a Unix socket, or over the connection `open` opens (an in-process
 * one), and reads the answer.
 */
function unixCall(socketPath: string, path: string, token?: string, open?: () => Duplex | undefined): Promise<{ status: number; json: () => Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const where = open ? { createConnection: () => open() as Socket } : { socketPath };
    const req = httpRequest({ ...where, path, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: () => JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the loopback socket serves the same chain in plain HTTP, mode 0600; its token counts there only', async () => {
  const socketPath = join(pki.dir, 'loopback.sock');
  // What a server killed with -9 leaves: the next one takes the path over.
  writeFileSync(socketPath, 'stale');
  const loopbackToken = 'loopback-token-of-this-boot';
  const own = new ApiServer(
    config({
      loopbackSocketPath: socketPath,
      authenticators: [new LoopbackAuthenticator(new Map([[loopbackToken, { username: 'system:admin', groups: ['system:masters'] }]])), new ClientCertAuthenticator(), new TokenAuthenticator({ [TOKEN]: { username: 'admin', groups: ['system:masters'] } })],
    }),
  );
  const { port: ownPort } = await own.start();
  try {
    assert.equal(own.loopbackListening, true);
    assert.equal(statSync(socketPath).mode & 0o777, 0o600);
    const ok = await unixCall(socketPath, '/api/v1/namespaces/ns1/configmaps/c1', loopbackToken);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json()['user'], { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] });
    assert.equal(ok.json()['verb'], 'get');
    // Anything else on the socket gets what it would get over HTTPS: 401 without credentials, other tokens as usual.
    assert.equal((await unixCall(socketPath, '/api/v1/pods')).status, 401);
    assert.equal((await unixCall(socketPath, '/api/v1/pods', 'wrong')).status, 401);
    assert.deepEqual((await unixCall(socketPath, '/api/v1/pods', TOKEN)).json()['user'], { username: 'admin', groups: ['system:masters', 'system:authenticated'] });
    // Over HTTPS the loopback token is no credential at all.
    assert.equal((await call('/api/v1/pods', { token: loopbackToken, port: ownPort })).status, 401);
    // The in-process connections (no kernel socket) serve the same chain: the token counts, nothing else changes.
    const inProcess = (path: string, token?: string) => unixCall(socketPath, path, token, () => own.connectLoopback());
    const seen = await inProcess('/api/v1/namespaces/ns1/configmaps/c1', loopbackToken);
    assert.equal(seen.status, 200);
    assert.deepEqual(seen.json()['user'], { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] });
    assert.equal((await inProcess('/api/v1/pods')).status, 401);
  } finally {
    await own.stop();
  }
  assert.equal(own.connectLoopback(), undefined);
  assert.equal(existsSync(socketPath), false);
});
