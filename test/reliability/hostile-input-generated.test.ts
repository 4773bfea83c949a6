/**
 * Hostile input, generated (fast-check): malformed and truncated JSON, YAML and protobuf, deep nesting, bad UTF-8,
 * duplicate fields, wrong and random content types, on POST, PUT, PATCH and DELETE, plus bodies of 3 MiB + 1 on
 * every verb. Proves: 0 5xx, 0 hangs (every answer within 15 s), 0 crashes (the server still answers /readyz), and
 * every error a Status whose code is the HTTP status. test/integration/hostile-input.test.ts keeps the fixed cases.
 * Also: protobuf bodies that are valid encodings truncated or with bytes changed (they reach the protobuf decoder,
 * past the magic), headers of 100 KB (431), and slow-loris clients dripping headers or a body a byte at a time
 * while others are served. The slow-loris deadlines themselves (32 s for headers → 408, 60 s for a body → 408) are
 * proven with short settings in src/apiserver/server.test.ts; the decode(encode(x)) = x property of every built-in
 * kind in src/api/protobuf/protobuf-round-trip.test.ts.
 * Bounded: 50,000 generated requests (the CI count) + 300 protobuf; long mode (TKUBE_LONG=1): 1,000,000 +
 * 100,000. The generated requests run as CONCURRENCY properties at once, each with its own seed and share of the
 * runs: one request at a time left the server idle between requests, and 50,000 of them took minutes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { encodeKubernetesProtobuf } from '../../src/api/protobuf/kubernetes-protobuf.js';
import { builtinSchemas } from '../../src/api/schema/schema-registry.js';
import { TestCluster } from '../harness/test-cluster.js';
import { ApiClient, type ApiAnswer } from './workload/api-client.js';
import { isLong } from './workload/faults.js';

const LONG = isLong();
/** TKUBE_HOSTILE_RUNS and TKUBE_HOSTILE_PROTOBUF_RUNS override the counts (a run of part of the long mode's). */
const RUNS = Number(process.env.TKUBE_HOSTILE_RUNS ?? (LONG ? 1_000_000 : 50_000));
/** TKUBE_HOSTILE_CONCURRENCY: generated properties run at once (requests in flight). */
const CONCURRENCY = Math.max(1, Number(process.env.TKUBE_HOSTILE_CONCURRENCY ?? 8));
const PROTOBUF_RUNS = Number(process.env.TKUBE_HOSTILE_PROTOBUF_RUNS ?? (LONG ? 100_000 : 300));
/**
 * TKUBE_HOSTILE_SECONDS stops each generated property after that long (the count reached is what the figures line
 * reports): 1,000,000 sequential requests take hours on the shared machine.
 */
const TIME_LIMIT_MS = process.env.TKUBE_HOSTILE_SECONDS === undefined ? undefined : Number(process.env.TKUBE_HOSTILE_SECONDS) * 1000;
const limits = TIME_LIMIT_MS === undefined ? {} : { plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)] };
const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const CM = '/api/v1/namespaces/default/configmaps';

const CONTENT_TYPES = [
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
  'text/plain',
  'application/json; charset=latin1',
  '',
];

/** A valid-looking ConfigMap as JSON, the seed most mutations start from. */
const configMapJson = fc
  .record({ name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), data: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 30 }), { maxKeys: 4 }) })
  .map((o) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: o.name }, data: o.data }));

const bodies: fc.Arbitrary<string | Buffer> = fc.oneof(
  // Truncated at any point.
  fc.tuple(configMapJson, fc.nat()).map(([s, n]) => s.slice(0, n % (s.length + 1))),
  // Arbitrary JSON values (valid JSON, wrong shapes).
  fc.json({ maxDepth: 4 }),
  // Random bytes and random text.
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.string({ maxLength: 300 }),
  // Deep nesting, up to past 10,000 levels, of arrays or objects.
  fc.tuple(fc.integer({ min: 100, max: 12_000 }), fc.boolean()).map(([d, arr]) => (arr ? '['.repeat(d) + ']'.repeat(d) : '{"a":'.repeat(d) + '1' + '}'.repeat(d))),
  // Bad UTF-8 bytes spliced into a valid body.
  fc.tuple(configMapJson, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => Buffer.from(b.map((x) => 0x80 | x)))).map(([s, n, bad]) => {
    const at = n % (s.length + 1);
    return Buffer.concat([Buffer.from(s.slice(0, at)), bad, Buffer.from(s.slice(at))]);
  }),
  // Duplicate fields.
  fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z]{1,8}$/)).map(([a, b]) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${a}","name":"${b}"},"metadata":{"name":"${b}"}}`),
  // YAML: aliases, tags, anchors, multi-documents.
  fc.constantFrom('a: &a [1,2]\nb: [*a,*a,*a]\n', '--- !!binary x\n', 'metadata: *missing\n', '---\na: 1\n---\nb: 2\n', 'metadata: {name: [', '? [a, b]\n: c\n', '!!python/object:os.system ls'),
  // JSON patches with odd operations and paths.
  fc.record({ op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'x'), path: fc.string({ maxLength: 20 }), from: fc.string({ maxLength: 10 }), value: fc.json({ maxDepth: 2 }) }).map((p) => JSON.stringify([p])),
);

/** Valid protobuf ConfigMaps (what kubectl sends), then damaged: truncated, bytes changed, or bytes inserted. */
const protobufBodies: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), data: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 30 }), { maxKeys: 4 }).map((d) => ({ ...d })) }),
    fc.oneof(
      fc.record({ cut: fc.nat() }),
      fc.record({ at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }), insert: fc.boolean() }),
    ),
  )
  .map(([cm, damage]) => {
    const valid = Buffer.from(encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm.name }, data: cm.data }, builtinSchemas()));
    if ('cut' in damage) return valid.subarray(0, damage.cut % (valid.length + 1));
    // Past the 4-byte magic, so that the decoder (not the magic check) meets the damage.
    const at = 4 + (damage.at % (valid.length - 3));
    const bytes = Buffer.from(damage.bytes);
    return damage.insert ? Buffer.concat([valid.subarray(0, at), bytes, valid.subarray(at)]) : Buffer.concat([valid.subarray(0, at), bytes, valid.subarray(at + bytes.length)]);
  });

/** Content types each verb accepts: most requests use one, so they reach the decoders rather than a 415. */
const ACCEPTED: Readonly<Record<string, readonly string[]>> = {
  POST: ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
  PUT: ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
  PATCH: ['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml'],
  DELETE: ['application/json', 'application/yaml'],
};

const requests = fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE').chain((verb) =>
  fc.record({
    verb: fc.constant(verb),
    contentType: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...(ACCEPTED[verb] ?? CONTENT_TYPES)) },
      { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...CONTENT_TYPES), fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s))) },
    ),
    body: bodies,
  }),
);

/** problem returns why an answer breaks the contract, or undefined when it keeps it. */
function problem(a: ApiAnswer): string | undefined {
  if (a.kind !== 'http') return `no answer (${a.kind}: ${a.error})`;
  if (a.status >= 500) return `${a.status}: ${a.body.slice(0, 300)}`;
  if (a.status >= 400) {
    try {
      const s = JSON.parse(a.body) as { kind?: string; code?: number };
      if (s.kind !== 'Status' || s.code !== a.status) return `${a.status} without a matching Status: ${a.body.slice(0, 300)}`;
    } catch {
      return `${a.status} with a body that is not JSON: ${a.body.slice(0, 300)}`;
    }
  }
  return undefined;
}

describe('hostile input, generated', () => {
  let c: TestCluster;
  let api: ApiClient;
  before(async () => {
    c = await TestCluster.start();
    api = new ApiClient(c, { timeoutMs: 15_000 });
    const made = await api.send('POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'target' } });
    assert.ok(made.kind === 'http' && made.status === 201);
  });
  after(async () => {
    api?.close();
    await c?.stop();
  });

  // Found by this suite: a field name with bad UTF-8 became U+FFFD in an "unknown field" Warning header, which Node
  // refused with an exception: a 500 for a create or update that should have succeeded with a warning.
  it('accepts an unknown field whose name is bad UTF-8, with a Warning header (was a 500)', async () => {
    for (const verb of ['POST', 'PUT']) {
      const body = Buffer.concat([Buffer.from('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"target"},"ap'), Buffer.from([0xfa, 0xff]), Buffer.from('x":1,"del\u007f":2}')]);
      const a = await api.sendRaw(verb, verb === 'POST' ? `${CM}?fieldValidation=Warn` : `${CM}/target`, body, 'application/json');
      assert.equal(problem(a), undefined, `${verb}: ${JSON.stringify(a)}`);
    }
  });

  it(`${RUNS} generated malformed requests: 0 5xx, 0 hangs, every error a Status`, { timeout: LONG ? 24 * 3600_000 : 600_000 }, async (t) => {
    const statuses = new Map<number, number>();
    let sent = 0;
    const failures: string[] = [];
    // CONCURRENCY properties at once, each with a seed of its own and its share of RUNS. Once one request has failed,
    // the others stop sending (their remaining runs pass at once), so the failure is reported without waiting.
    const seed = Number(process.env.TKUBE_HOSTILE_SEED ?? Date.now() % 2_147_483_647);
    const property = fc.asyncProperty(requests, async (r) => {
      if (failures.length > 0) return true;
      // DELETE aims at another object, so that PUT and PATCH keep finding theirs (and reach their decoders).
      const path = r.verb === 'POST' ? CM : r.verb === 'DELETE' ? `${CM}/victim` : `${CM}/target`;
      const a = await api.sendRaw(r.verb, path, r.body, r.contentType);
      sent++;
      if (process.env.TKUBE_RELIABILITY_VERBOSE && sent % 10_000 === 0) console.log(`# hostile-input-generated: ${sent} requests sent, ${failures.length} failures`);
      if (a.kind === 'http') statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      const p = problem(a);
      if (p) failures.push(`${r.verb} ${r.contentType} ${JSON.stringify(String(r.body).slice(0, 120))}: ${p}`);
      return p === undefined;
    });
    const runs = await Promise.allSettled(
      Array.from({ length: CONCURRENCY }, (_, i) => fc.assert(property, { numRuns: Math.ceil(RUNS / CONCURRENCY), seed: (seed + i * 7919) % 2_147_483_647, endOnFailure: true, ...limits })),
    );
    for (const r of runs) if (r.status === 'rejected' && failures.length === 0) failures.push(`property failed (seed ${seed}): ${String(r.reason).slice(0, 500)}`);
    // Oversized bodies on every verb.
    const big = `{"metadata":{"name":"big"},"data":{"k":"${'x'.repeat(3 * 1024 * 1024 + 1)}"}}`;
    for (const verb of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const a = await api.sendRaw(verb, verb === 'POST' ? CM : verb === 'DELETE' ? `${CM}/victim` : `${CM}/target`, big, verb === 'PATCH' ? 'application/merge-patch+json' : 'application/json');
      sent++;
      const p = problem(a) ?? (a.kind === 'http' && a.status !== 413 ? `${verb} 3 MiB + 1: ${a.status}, want 413` : undefined);
      if (p) failures.push(`${verb} 3 MiB + 1: ${p}`);
    }
    const ready = await c.request('/readyz');
    const figures = `hostile-input-generated: requests=${sent} failures=${failures.length} statuses=${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))} readyz-after=${ready.status} concurrency=${CONCURRENCY} seed=${seed}`;
    t.diagnostic(figures);
    console.log(`# ${figures}`);
    assert.deepEqual(failures, [], figures);
    assert.equal(ready.status, 200, figures);
  });

  it(`${PROTOBUF_RUNS} damaged protobuf bodies (truncated, bytes changed or inserted): 0 5xx, every error a Status`, { timeout: LONG ? 24 * 3600_000 : 120_000 }, async (t) => {
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(protobufBodies, fc.constantFrom('POST', 'PUT'), async (body, verb) => {
        const a = await api.sendRaw(verb, verb === 'POST' ? `${CM}?dryRun=All` : `${CM}/target?dryRun=All`, body, PROTOBUF);
        sent++;
        if (a.kind === 'http') statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        const p = problem(a);
        if (p) failures.push(`${verb} ${body.toString('hex').slice(0, 120)}: ${p}`);
        return p === undefined;
      }),
      { numRuns: PROTOBUF_RUNS, endOnFailure: true, ...limits },
    );
    const figures = `hostile-input-generated: protobuf requests=${sent} failures=${failures.length} statuses=${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`;
    t.diagnostic(figures);
    console.log(`# ${figures}`);
    assert.deepEqual(failures, [], figures);
  });

  it('a 100 KB header is answered 431 (a Status), and the server carries on', { timeout: 30_000 }, async () => {
    const socket = await openTls(c);
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (got += d));
      socket.on('close', () => resolve(got));
      socket.on('error', () => undefined); // the server may reset after answering: what it sent is what counts
      socket.write(`GET /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nX-Huge: ${'h'.repeat(100 * 1024)}\r\n\r\n`);
    });
    assert.match(answer, /^HTTP\/1\.1 431 /, answer.slice(0, 200));
    const status = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { kind?: string; code?: number };
    assert.deepEqual([status.kind, status.code], ['Status', 431]);
    assert.equal((await c.request('/readyz')).status, 200);
  });

  it('slow-loris clients (headers or a body a byte at a time) do not keep others from being served', { timeout: 60_000 }, async (t) => {
    const LORISES = 40;
    const auth = `Authorization: Bearer ${await adminToken(api)}`;
    const headers = `POST ${CM}?dryRun=All HTTP/1.1\r\nHost: x\r\n${auth}\r\nContent-Type: application/json\r\nX-Pad: ${'p'.repeat(400)}\r\nContent-Length: 64\r\n\r\n`;
    const sockets: TLSSocket[] = [];
    const timers: NodeJS.Timeout[] = [];
    try {
      for (let i = 0; i < LORISES; i++) {
        const s = await openTls(c);
        s.on('error', () => undefined);
        sockets.push(s);
        // Half drip their headers, half send headers at once and drip the body.
        const text = i % 2 === 0 ? headers : '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"slow"}}';
        if (i % 2 === 1) s.write(headers);
        let k = 0;
        timers.push(setInterval(() => {
          if (!s.destroyed && k < text.length) s.write(text[k++] ?? '');
        }, 100));
      }
      // Meanwhile, ordinary requests: each answered, and promptly.
      const latencies: number[] = [];
      for (let i = 0; i < 30; i++) {
        const started = Date.now();
        const a = await api.send('GET', `${CM}/target`);
        latencies.push(Date.now() - started);
        assert.ok(a.kind === 'http' && a.status === 200, JSON.stringify(a));
      }
      latencies.sort((a, b) => a - b);
      const open = sockets.filter((s) => !s.destroyed).length;
      const figures = `hostile-input-generated: slow-loris: ${LORISES} dripping connections (${open} still open), 30 requests served meanwhile, p50 ${latencies[15]} ms, max ${latencies.at(-1)} ms`;
      t.diagnostic(figures);
      console.log(`# ${figures}`);
      assert.ok((latencies.at(-1) ?? 0) < 5_000, figures);
    } finally {
      for (const timer of timers) clearInterval(timer);
      for (const s of sockets) s.destroy();
    }
  });
});

/** openTls opens a raw TLS connection to the cluster's API server. */
function openTls(c: TestCluster): Promise<TLSSocket> {
  const url = new URL(c.url);
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: url.hostname, port: Number(url.port), ca: c.credentials().ca, servername: 'localhost' }, () => resolve(s));
    s.once('error', reject);
  });
}

/** adminToken makes a ServiceAccount bound to cluster-admin and returns a token of it (raw sockets carry no client certificate here). */
async function adminToken(api: ApiClient): Promise<string> {
  await api.send('POST', '/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'loris' } });
  await api.send('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'loris' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'loris', namespace: 'default' }],
  });
  const a = await api.send('POST', '/api/v1/namespaces/default/serviceaccounts/loris/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
  if (a.kind !== 'http' || a.status !== 201) throw new Error(`Cannot get a token: ${JSON.stringify(a)}`);
  return (JSON.parse(a.body) as { status: { token: string } }).status.token;
}
