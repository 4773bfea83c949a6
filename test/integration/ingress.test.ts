/**
 * The built-in Ingress controller and the service load balancer inside `tkube server`, driven by real kubectl.
 * Backends are HTTP servers this test runs on loopback, reached through selector-less Services and hand-made
 * EndpointSlices pointing at 127.0.0.1 (no pods, no root). Checked: the default IngressClass; two hosts routed
 * to two Services; 404 for an unknown host, 503 for a Service without endpoints; X-Forwarded-* headers; a
 * WebSocket-style upgrade relayed; TLS by SNI from a kubernetes.io/tls Secret and the default certificate
 * otherwise; Ingress status and `kubectl get ingress` ADDRESS; a LoadBalancer Service's EXTERNAL-IP from the
 * (simulated) node's address, cleared when the type changes away.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { CertificateAuthority } from '../../src/pki/certificate-authority.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

interface Echo {
  readonly backend: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** startBackend runs an HTTP server that answers with its name and what it received, and echoes upgrades. */
async function startBackend(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ backend: name, url: req.url ?? '', headers: req.headers } satisfies Echo));
  });
  server.on('upgrade', (req, socket: Socket) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${String(req.headers.upgrade)}\r\nConnection: Upgrade\r\nX-Backend: ${name}\r\n\r\n`);
    socket.pipe(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function get(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function getTls(port: number, servername: string, ca?: string): Promise<{ status: number; body: string; subject: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/', servername, headers: { host: servername }, agent: false, ...(ca ? { ca } : { rejectUnauthorized: false }) }, (res) => {
      const subject = (res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '';
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, subject: String(subject) }));
    });
    req.on('error', reject);
    req.end();
  });
}

void describe('ingress and service load balancer', () => {
  let c: TestCluster;
  const backends: Server[] = [];
  let portA = 0;
  let portB = 0;

  before(async () => {
    const [a, b] = await Promise.all([startBackend('alpha'), startBackend('beta'), TestCluster.start({ args: ['--simulated-nodes', '1'] }).then((tc) => (c = tc))]);
    backends.push(a.server, b.server);
    portA = a.port;
    portB = b.port;
  });
  after(async () => {
    for (const s of backends) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    await c?.stop();
  });

  const selectorless = (name: string, port: number): object[] => [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80, targetPort: port, protocol: 'TCP' }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ port, protocol: 'TCP' }],
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    },
  ];
  const apply = (objects: object[]): Promise<string> => c.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });

  void it('serves on free ports and ensures the default IngressClass', async () => {
    assert.ok(c.ingressHttpPort > 0 && c.ingressHttpsPort > 0, `ports ${c.ingressHttpPort}/${c.ingressHttpsPort}`);
    const cls = await eventually(async () => {
      const r = await c.kubectl(['get', 'ingressclass', 'tkube', '-o', 'json']);
      return r.code === 0 ? (JSON.parse(r.stdout) as { spec: { controller: string }; metadata: { annotations: Record<string, string> } }) : undefined;
    });
    assert.equal(cls.spec.controller, 'tkube.io/ingress');
    assert.equal(cls.metadata.annotations['ingressclass.kubernetes.io/is-default-class'], 'true');
    assert.equal((await get(c.ingressHttpPort, 'nothing.example.com')).status, 404);
  });

  void it('routes two hosts to two Services, 503 without endpoints, with X-Forwarded headers and upgrades', async () => {
    await apply([
      ...selectorless('alpha', portA),
      ...selectorless('beta', portB),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'empty', namespace: 'default' }, spec: { ports: [{ port: 80, protocol: 'TCP' }] } },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'two-hosts', namespace: 'default' },
        spec: {
          rules: [
            { host: 'alpha.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'alpha', port: { number: 80 } } } }] } },
            {
              host: 'beta.example.com',
              http: {
                paths: [
                  { path: '/', pathType: 'Prefix', backend: { service: { name: 'beta', port: { number: 80 } } } },
                  { path: '/empty', pathType: 'Exact', backend: { service: { name: 'empty', port: { number: 80 } } } },
                ],
              },
            },
          ],
        },
      },
    ]);
    const a = await eventually(async () => {
      const r = await get(c.ingressHttpPort, 'alpha.example.com', '/hello?x=1');
      return r.status === 200 ? (JSON.parse(r.body) as Echo) : undefined;
    });
    assert.equal(a.backend, 'alpha');
    assert.equal(a.url, '/hello?x=1');
    assert.equal(a.headers.host, 'alpha.example.com');
    assert.equal(a.headers['x-forwarded-host'], 'alpha.example.com');
    assert.equal(a.headers['x-forwarded-proto'], 'http');
    assert.equal(a.headers['x-forwarded-port'], String(c.ingressHttpPort));
    assert.equal(a.headers['x-forwarded-for'], '127.0.0.1');
    const b = await get(c.ingressHttpPort, 'BETA.example.com:80', '/');
    assert.equal(b.status, 200);
    assert.equal((JSON.parse(b.body) as Echo).backend, 'beta');
    assert.equal((await get(c.ingressHttpPort, 'beta.example.com', '/empty')).status, 503);
    assert.equal((await get(c.ingressHttpPort, 'gamma.example.com', '/')).status, 404);

    // An upgrade is relayed both ways.
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: c.ingressHttpPort, path: '/ws', headers: { host: 'beta.example.com', connection: 'Upgrade', upgrade: 'websocket' }, agent: false });
      req.on('upgrade', (res, socket: Socket) => {
        assert.equal(res.statusCode, 101);
        assert.equal(res.headers['x-backend'], 'beta');
        socket.once('data', (d: Buffer) => {
          socket.destroy();
          resolve(d.toString());
        });
        socket.write('ping');
      });
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    assert.equal(echoed, 'ping');
  });

  void it('fills Ingress status, shown as ADDRESS by kubectl get ingress', async () => {
    const addr = await eventually(async () => {
      const out = await c.kubectlOk(['get', 'ingress', 'two-hosts', '-o', 'jsonpath={.status.loadBalancer.ingress[*].ip}']);
      return out.trim() || undefined;
    });
    assert.equal(addr, '127.0.0.1');
    const table = await c.kubectlOk(['get', 'ingress', 'two-hosts']);
    assert.match(table, /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE/);
    // Created without a class, it was given the default one by the DefaultIngressClass admission plugin.
    assert.match(table, /two-hosts\s+tkube\s+alpha\.example\.com,beta\.example\.com\s+127\.0\.0\.1\s+80\s/);
  });

  void it('terminates TLS with the Secret named for the host, and the default certificate otherwise', async () => {
    const ca = await CertificateAuthority.create('ingress-test-ca');
    const leaf = await ca.issue({ commonName: 'secure.example.com', dnsNames: ['secure.example.com'], usage: 'server' });
    await apply([
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'secure-tls', namespace: 'default' }, type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from(leaf.certPem).toString('base64'), 'tls.key': Buffer.from(leaf.keyPem).toString('base64') } },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'secure', namespace: 'default' },
        spec: {
          ingressClassName: 'tkube',
          tls: [{ hosts: ['secure.example.com'], secretName: 'secure-tls' }],
          rules: [{ host: 'secure.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'alpha', port: { number: 80 } } } }] } }],
        },
      },
    ]);
    // Verified against the test's CA: the Secret's certificate is served for its SNI name.
    const r = await eventually(async () => {
      try {
        const res = await getTls(c.ingressHttpsPort, 'secure.example.com', ca.pem.certPem);
        return res.status === 200 ? res : undefined;
      } catch {
        return undefined;
      }
    });
    assert.equal(r.subject, 'secure.example.com');
    const echo = JSON.parse(r.body) as Echo;
    assert.equal(echo.backend, 'alpha');
    assert.equal(echo.headers['x-forwarded-proto'], 'https');
    const other = await getTls(c.ingressHttpsPort, 'alpha.example.com');
    assert.equal(other.status, 200);
    assert.equal(other.subject, 'TKUBE INGRESS DEFAULT CERT');
    const table = await c.kubectlOk(['get', 'ingress', 'secure']);
    assert.match(table, /secure\s+tkube\s+secure\.example\.com\s+\S*\s+80, 443\s/);
  });

  void it('gives a LoadBalancer Service the node address as EXTERNAL-IP and clears it when the type changes', async () => {
    const nodeIP = (await c.kubectlOk(['get', 'nodes', '-o', 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}'])).trim();
    assert.match(nodeIP, /^\d+\.\d+\.\d+\.\d+$/);
    await c.kubectlOk(['create', 'service', 'loadbalancer', 'lb', '--tcp', '8080:80']);
    const spec = JSON.parse(await c.kubectlOk(['get', 'svc', 'lb', '-o', 'jsonpath={.spec}'])) as { allocateLoadBalancerNodePorts?: boolean; ports: { nodePort?: number }[] };
    assert.equal(spec.allocateLoadBalancerNodePorts, true);
    assert.ok((spec.ports[0]?.nodePort ?? 0) > 0);
    const row = await eventually(async () => {
      const out = await c.kubectlOk(['get', 'svc', 'lb', '--no-headers']);
      return out.includes(nodeIP) ? out : undefined;
    });
    assert.match(row, new RegExp(`^lb\\s+LoadBalancer\\s+\\S+\\s+${nodeIP.replace(/\./g, '\\.')}\\s+8080:\\d+/TCP`));
    const status = JSON.parse(await c.kubectlOk(['get', 'svc', 'lb', '-o', 'jsonpath={.status.loadBalancer}'])) as unknown;
    assert.deepEqual(status, { ingress: [{ ip: nodeIP, ipMode: 'VIP' }] });
    // The serving set follows the nodes: a cordoned node stops serving, an uncordoned one serves again.
    const nodeName = (await c.kubectlOk(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    await c.kubectlOk(['cordon', nodeName]);
    await eventually(async () => /<pending>/.test(await c.kubectlOk(['get', 'svc', 'lb', '--no-headers'])));
    await c.kubectlOk(['uncordon', nodeName]);
    await eventually(async () => (await c.kubectlOk(['get', 'svc', 'lb', '--no-headers'])).includes(nodeIP));
    await c.kubectlOk(['patch', 'svc', 'lb', '-p', '{"spec":{"type":"ClusterIP"}}']);
    await eventually(async () => (await c.kubectlOk(['get', 'svc', 'lb', '-o', 'jsonpath={.status.loadBalancer.ingress}'])).trim() === '');
    // The cleanup finalizer (upstream's service.kubernetes.io/load-balancer-cleanup) goes with the status.
    await eventually(async () => (await c.kubectlOk(['get', 'svc', 'lb', '-o', 'jsonpath={.metadata.finalizers}'])).trim() === '');
    // A LoadBalancer Service is deleted without waiting on anything (the controller lets its finalizer go).
    await apply([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb-gone', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } }]);
    await eventually(async () => (await c.kubectlOk(['get', 'svc', 'lb-gone', '-o', 'jsonpath={.metadata.finalizers}'])).includes('load-balancer-cleanup'));
    await c.kubectlOk(['delete', 'svc', 'lb-gone', '--timeout=30s']);
    // Another implementation's class is left pending: once a Service created after it has its address (one
    // worker, first in first out), the controller has passed it by.
    await apply([
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'other-lb', namespace: 'default' }, spec: { type: 'LoadBalancer', loadBalancerClass: 'example.com/lb', ports: [{ port: 80 }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb2', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } },
    ]);
    await eventually(async () => (await c.kubectlOk(['get', 'svc', 'lb2', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])).trim() === nodeIP);
    // allocateLoadBalancerNodePorts: false gets no node port; the field is refused on other types.
    await apply([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'no-node-ports', namespace: 'default' }, spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] } }]);
    assert.equal((await c.kubectlOk(['get', 'svc', 'no-node-ports', '-o', 'jsonpath={.spec.ports[0].nodePort}'])).trim(), '');
    const refused = await c.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad', namespace: 'default' }, spec: { allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] } }) });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /spec\.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'/);
    assert.match(await c.kubectlOk(['get', 'svc', 'other-lb', '--no-headers']), /<pending>/);
  });
});

void describe('--disable ingress,servicelb', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start({ args: ['--disable', 'ingress,servicelb'] });
  });
  after(async () => {
    await c?.stop();
  });

  void it('runs neither the Ingress controller nor the service load balancer', async () => {
    assert.equal(c.ingressHttpPort, 0);
    assert.equal(c.ingressHttpsPort, 0);
    assert.match((await c.kubectl(['get', 'ingressclass', 'tkube'])).stderr, /NotFound/);
    const started = /Controllers started controllers="([^"]*)"/.exec(c.log)?.[1] ?? '';
    assert.ok(started.includes('endpointslice'), started);
    assert.ok(!started.split(',').includes('servicelb'), started);
  });
});
