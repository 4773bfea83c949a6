/**
 * PodStreamProxy against a fake kubelet (a TLS server that checks the API server's client certificate and
 * answers upgrades): the translated kubelet path and forwarded protocol, the Status answers before the upgrade
 * (missing pod, bad container, completed or unbound pod, simulated node, no `create` right, the kubelet's own
 * refusal), and a backend that fails mid-stream closing the client.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { notFound, StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import { CertificateAuthority } from '../../pki/certificate-authority.js';
import type { Authorizer } from '../filters/authorization.js';
import { writeStatusToSocket } from '../negotiation/write.js';
import type { GenericStore } from '../registry/generic-store.js';
import { resolveRequestInfo } from '../request/request-info-resolver.js';
import { PodStreamProxy } from './pod-stream-proxy.js';

function fakeStore(objects: KubeObject[], resource: string): GenericStore {
  return {
    get: (namespace: string, name: string) => {
      const found = objects.find((o) => o.metadata?.name === name && (o.metadata?.namespace ?? '') === namespace);
      return found ? Promise.resolve(found) : Promise.reject(notFound({ group: '', resource }, name));
    },
  } as unknown as GenericStore;
}

const pod = (name: string, extra: { nodeName?: string; phase?: string; node?: string } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns' },
  spec: { ...(extra.nodeName === '' ? {} : { nodeName: extra.nodeName ?? 'n1' }), containers: [{ name: 'c' }, { name: 'd' }] },
  status: { phase: extra.phase ?? 'Running' },
});

void describe('PodStreamProxy', () => {
  let kubelet: HttpsServer;
  let front: HttpServer;
  let frontPort: number;
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => [...p][0] ?? false });

  // Where the redirecting kubelet points: any request reaching it is a followed redirect.
  const elsewhereHits: string[] = [];
  let elsewhere: HttpServer;
  let elsewherePort = 0;

  before(async () => {
    elsewhere = createHttpServer((req, res) => {
      elsewhereHits.push(req.url ?? '');
      res.end('secret');
    });
    elsewhere.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      elsewhereHits.push(req.url ?? '');
      socket.destroy();
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', () => resolve()));
    elsewherePort = (elsewhere.address() as { port: number }).port;
    const ca = await CertificateAuthority.create('test-ca');
    const serving = await ca.issue({ commonName: 'node', ipAddresses: ['127.0.0.1'], usage: 'server' });
    const client = await ca.issue({ commonName: 'kube-apiserver-kubelet-client', usage: 'client' });
    kubelet = createHttpsServer({ cert: serving.certPem, key: serving.keyPem, ca: ca.pem.certPem, requestCert: true, rejectUnauthorized: true });
    kubelet.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const cn = (req.socket as TLSSocket).getPeerCertificate().subject?.CN;
      if (req.url?.includes('redirect')) {
        // A compromised kubelet points the API server elsewhere (the CVE-2018-1002105 / CVE-2020-8559 class).
        socket.end(`HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:${elsewherePort}/steal\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      if (req.url?.startsWith('/exec/ns/p/d')) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 38\r\n\r\ncontainer "d" in pod "p" not available');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.send(`${cn ?? ''} ${req.method ?? ''} ${req.url ?? ''} ${ws.protocol}`);
        if (req.url?.includes('command=die')) setTimeout(() => socket.destroy(), 50);
        else ws.close(1000);
      });
    });
    await new Promise<void>((resolve) => kubelet.listen(0, '127.0.0.1', () => resolve()));
    const kubeletPort = (kubelet.address() as { port: number }).port;
    const node = (name: string, simulated = false): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, ...(simulated ? { labels: { 'node.tkube.io/runtime': 'simulated' } } : {}) },
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } } },
    });
    const authorizer: Authorizer = {
      authorize: (user, info) => Promise.resolve({ allowed: user.username === 'admin' || info.verb !== 'create', reason: '' }),
    };
    const proxy = new PodStreamProxy({
      pods: () => fakeStore([pod('p'), pod('done', { phase: 'Succeeded' }), pod('pending', { nodeName: '' }), pod('sim', { nodeName: 'sim' })], 'pods'),
      nodes: () => fakeStore([node('n1'), node('sim', true)], 'nodes'),
      authorizer,
      kubeletClient: { caPem: ca.pem.certPem, certPem: client.certPem, keyPem: client.keyPem },
    });
    front = createHttpServer();
    front.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://front');
      const user = { username: String(req.headers['x-user'] ?? 'admin'), groups: ['system:authenticated'], uid: '', extra: {} };
      const abort = new AbortController();
      socket.on('close', () => abort.abort());
      proxy.handleUpgrade({ info: resolveRequestInfo(req.method ?? 'GET', url), user, req, socket, head, url, auditId: 'a', signal: abort.signal }).catch((err: unknown) => {
        writeStatusToSocket(socket, err instanceof StatusError ? err : new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String(err), reason: 'InternalError', code: 500 }));
      });
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()));
    frontPort = (front.address() as { port: number }).port;
  });
  after(async () => {
    front.closeAllConnections();
    kubelet.closeAllConnections();
    await new Promise((r) => front.close(r));
    await new Promise((r) => kubelet.close(r));
    elsewhere.closeAllConnections();
    await new Promise((r) => elsewhere.close(r));
  });

  /** open connects through the proxy; resolves with the messages and close, or the refusal's code and Status. */
  const open = (path: string, user = 'admin'): Promise<{ messages: string[]; code?: number; status?: { code: number; reason: string; message: string } }> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${frontPort}${path}`, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], { headers: { 'X-User': user } });
      const messages: string[] = [];
      ws.on('message', (m: Buffer) => messages.push(m.toString()));
      ws.on('close', () => resolve({ messages }));
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ messages, code: res.statusCode ?? 0, status: JSON.parse(body) as { code: number; reason: string; message: string } }));
      });
      ws.on('error', reject);
    });

  void it('dials the kubelet with the translated path, the client certificate and the client protocols', async () => {
    const r = await open('/api/v1/namespaces/ns/pods/p/exec?command=echo&command=a%20b&stdout=true&stdin=true&container=c&extra=dropped');
    assert.deepEqual(r.messages, ['kube-apiserver-kubelet-client GET /exec/ns/p/c?command=echo&command=a+b&stdin=1&stdout=1 v5.channel.k8s.io']);
    // python3-kubernetes spells the flags `True`/`False`; upstream reads anything but `0`/`false` as true.
    const python = await open('/api/v1/namespaces/ns/pods/p/exec?command=x&stderr=True&stdin=False&stdout=True&tty=False&container=c');
    assert.deepEqual(python.messages, ['kube-apiserver-kubelet-client GET /exec/ns/p/c?command=x&stdout=1&stderr=1 v5.channel.k8s.io']);
    const attach = await open('/api/v1/namespaces/ns/pods/p/attach?container=c&stdout=true&tty=true');
    assert.deepEqual(attach.messages, ['kube-apiserver-kubelet-client GET /attach/ns/p/c?stdout=1&tty=1 v5.channel.k8s.io']);
    const forward = await open('/api/v1/namespaces/ns/pods/p/portforward?ports=80');
    assert.deepEqual(forward.messages, ['kube-apiserver-kubelet-client GET /portForward/ns/p?ports=80 v5.channel.k8s.io']);
  });

  void it('answers Status before the upgrade', async () => {
    const cases: [string, number, RegExp][] = [
      ['/api/v1/namespaces/ns/pods/nope/exec?command=x&stdout=true', 404, /pods "nope" not found/],
      ['/api/v1/namespaces/ns/pods/p/exec?command=x&stdout=true&container=zz', 400, /container zz is not valid for pod p/],
      ['/api/v1/namespaces/ns/pods/p/exec?command=x&stdout=true', 400, /a container name must be specified for pod p, choose one of: \[c d\]/],
      ['/api/v1/namespaces/ns/pods/p/exec?stdout=true&container=c', 400, /you must specify at least 1 command/],
      ['/api/v1/namespaces/ns/pods/p/exec?command=x&stdout=False&stdin=0&container=c', 400, /you must specify at least 1 of stdin, stdout, stderr/],
      ['/api/v1/namespaces/ns/pods/done/exec?command=x&stdout=true&container=c', 400, /cannot exec into a container in a completed pod; current phase is Succeeded/],
      ['/api/v1/namespaces/ns/pods/pending/exec?command=x&stdout=true&container=c', 400, /pod pending does not have a host assigned/],
      ['/api/v1/namespaces/ns/pods/sim/exec?command=x&stdout=true&container=c', 503, /node "sim" is simulated/],
      ['/api/v1/namespaces/ns/pods/p/exec?command=x&stdout=true&container=d', 404, /container "d" in pod "p" not available/],
      ['/api/v1/namespaces/ns/pods/p/log', 404, /the server could not find the requested resource/],
    ];
    for (const [path, code, message] of cases) {
      const r = await open(path);
      assert.equal(r.code, code, path);
      assert.equal(r.status?.code, code, path);
      assert.match(r.status?.message ?? '', message, path);
    }
  });

  void it('never follows a kubelet redirect: the client gets an error Status, the target is never dialed', async () => {
    for (const path of ['exec?command=redirect&stdout=true&container=c', 'portforward?ports=80&redirect=1']) {
      const sub = path.split('?')[0] ?? '';
      const r = await open(`/api/v1/namespaces/ns/pods/p/${path}`);
      assert.equal(r.code, 500, sub);
      assert.equal(r.status?.code, 500, sub);
      assert.match(r.status?.message ?? '', /answered 302/, sub);
    }
    assert.deepEqual(elsewhereHits, []);
  });

  void it('requires create on the subresource for a WebSocket GET', async () => {
    const r = await open('/api/v1/namespaces/ns/pods/p/exec?command=x&stdout=true&container=c', 'reader');
    assert.equal(r.code, 403);
    assert.match(r.status?.message ?? '', /User "reader" cannot create resource "pods\/exec" in API group "" in the namespace "ns"/);
  });

  void it('closes the client when the kubelet connection fails', async () => {
    const r = await open('/api/v1/namespaces/ns/pods/p/exec?command=die&stdout=true&container=c');
    assert.equal(r.messages.length, 1);
  });
});
