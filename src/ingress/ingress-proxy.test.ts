import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../api/meta/types.js';
import { newLogger } from '../base/log/logger.js';
import { makeDefaultCertificate } from './default-certificate.js';
import { ClassSelector, defaultIngressClass } from './ingress-class.js';
import { IngressMetrics } from './ingress-metrics.js';
import { IngressProxy } from './ingress-proxy.js';
import { buildRoutingTable, type RoutingTable } from './routing-table.js';
import { CertificateTable } from './tls-certificates.js';

interface Seen {
  readonly name: string;
  readonly headers: IncomingHttpHeaders;
  readonly url?: string;
}

async function backend(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'keep-alive': 'timeout=99', connection: 'x-secret', 'x-secret': 'hop' });
    res.end(JSON.stringify({ name, headers: req.headers, url: req.url ?? '' } satisfies Seen));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function call(port: number, host: string, headers: Record<string, string> = {}, path = '/'): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, ...headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

void describe('ingress proxy', () => {
  const servers: (Server | ReturnType<typeof createHttpsServer>)[] = [];
  let proxy: IngressProxy;
  const metrics = new IngressMetrics();
  let httpPort = 0;
  let httpsPort = 0;

  before(async () => {
    const [a, b] = await Promise.all([backend('a'), backend('b')]);
    servers.push(a.server, b.server);
    // An HTTPS backend (backend-protocol annotation), with a self-signed certificate the proxy does not verify.
    const cert = await makeDefaultCertificate();
    const secure = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => res.end(JSON.stringify({ name: 'secure', headers: req.headers, url: req.url ?? '' } satisfies Seen)));
    await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
    servers.push(secure);
    const securePort = (secure.address() as AddressInfo).port;
    // A port nothing listens on: bind and close a server to find one.
    const dead = await backend('dead');
    const deadPort = dead.port;
    await new Promise((r) => dead.server.close(r));
    const ingress = {
      metadata: { name: 'i', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: {
        rules: [
          { host: 'rr.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'rr', port: { number: 80 } } } }] } },
          { host: 'dead.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'dead', port: { number: 80 } } } }] } },
        ],
      },
    } as KubeObject;
    const annotated = (name: string, annotations: Record<string, string>, host: string, path: string, service: string): KubeObject => ({
      metadata: { name, namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z', annotations },
      spec: { rules: [{ host, http: { paths: [{ path, pathType: 'ImplementationSpecific', backend: { service: { name: service, port: { number: 80 } } } }] } }] },
    }) as KubeObject;
    const svc = (name: string): KubeObject => ({ metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80 }] } }) as KubeObject;
    const slice = (name: string, ports: number[]): KubeObject[] =>
      ports.map((port, i) => ({ metadata: { name: `${name}-${i}`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } }, ports: [{ port }], endpoints: [{ addresses: ['127.0.0.1'] }] }) as KubeObject);
    const table: RoutingTable = buildRoutingTable({
      ingresses: [
        ingress,
        annotated('rw', { 'nginx.ingress.kubernetes.io/rewrite-target': '/$2' }, 'rw.test', '/app(/|$)(.*)', 'rr'),
        annotated('tls', { 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS' }, 'tls.test', '/', 'secure'),
      ],
      services: [svc('rr'), svc('dead'), svc('secure')],
      endpointSlices: [...slice('rr', [a.port, b.port]), ...slice('dead', [deadPort]), ...slice('secure', [securePort])],
      classes: new ClassSelector([defaultIngressClass()]),
    });
    proxy = new IngressProxy({
      routes: { table: () => table, certificates: () => new CertificateTable(new Map()) },
      bindAddress: '127.0.0.1',
      httpPort: 0,
      httpsPort: 0,
      defaultCertificate: await makeDefaultCertificate(),
      metrics,
      log: newLogger('test'),
    });
    ({ httpPort, httpsPort } = await proxy.start());
  });
  after(async () => {
    await proxy?.stop();
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  void it('spreads requests over the endpoints round robin', async () => {
    const names: string[] = [];
    for (let i = 0; i < 4; i++) names.push((JSON.parse((await call(httpPort, 'rr.test')).body) as Seen).name);
    assert.deepEqual(names.sort(), ['a', 'a', 'b', 'b']);
  });

  void it('replaces client forwarding headers and drops hop-by-hop headers both ways', async () => {
    const r = await call(httpPort, 'rr.test', { 'x-forwarded-for': '6.6.6.6', 'x-real-ip': '6.6.6.6', connection: 'x-private', 'x-private': 'mine', te: 'trailers' });
    const seen = JSON.parse(r.body) as Seen;
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-real-ip'], '127.0.0.1');
    assert.equal(seen.headers['x-private'], undefined);
    assert.equal(seen.headers['te'], undefined);
    assert.equal(r.headers['x-secret'], undefined);
    assert.notEqual(r.headers['keep-alive'], 'timeout=99'); // the proxy's own keep-alive may be there
  });

  void it('answers 502 when the endpoint refuses, 404 without a rule, 404 to an unroutable upgrade', async () => {
    assert.equal((await call(httpPort, 'dead.test')).status, 502);
    const missing = await call(httpPort, 'nowhere.test');
    assert.equal(missing.status, 404);
    assert.equal(missing.body, '404 page not found\n');
    const upgrade = await call(httpPort, 'nowhere.test', { connection: 'Upgrade', upgrade: 'websocket' }).catch((err: unknown) => err);
    // Node reports a non-101 answer to an upgrade as an ordinary response.
    assert.equal((upgrade as { status?: number }).status, 404);
    // Counted as ingress-nginx counts: by the matched Ingress and Service (none for the 404), method and status.
    const text = await metrics.render();
    assert.match(text, /^nginx_ingress_controller_requests\{ingress="i",namespace="default",service="dead",method="GET",status="502"\} 1$/m);
    assert.match(text, /^nginx_ingress_controller_requests\{ingress="",namespace="",service="",method="GET",status="404"\} 1$/m);
    assert.match(text, /^nginx_ingress_controller_request_duration_seconds_count\{ingress="i",namespace="default",service="dead",method="GET",status="502"\} 1$/m);
  });

  void it('rewrites the path with rewrite-target capture groups and speaks HTTPS to backends that ask for it', async () => {
    const url = async (path: string): Promise<string | number> => {
      const r = await call(httpPort, 'rw.test', {}, path);
      return r.status === 200 ? ((JSON.parse(r.body) as Seen).url ?? '') : r.status;
    };
    assert.equal(await url('/app/x/y?q=1'), '/x/y?q=1');
    assert.equal(await url('/APP'), '/', 'case-insensitive, as nginx');
    assert.equal(await url('/apple'), 404, 'the regex wants / or the end after /app');
    const secure = await call(httpPort, 'tls.test', {}, '/s?x=1');
    assert.equal(secure.status, 200);
    assert.deepEqual([(JSON.parse(secure.body) as Seen).name, (JSON.parse(secure.body) as Seen).url], ['secure', '/s?x=1']);
  });

  void it('shows the default certificate when no Secret covers the name', async () => {
    const subject = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: httpsPort, path: '/', servername: 'rr.test', headers: { host: 'rr.test' }, rejectUnauthorized: false, agent: false }, (res) => {
        resolve(String((res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? ''));
        res.resume();
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(subject, 'TKUBE INGRESS DEFAULT CERT');
  });
});
