import assert from 'node:assert/strict';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { createServer, connect, type Server } from 'node:net';
import { describe, it } from 'node:test';

import { eventually } from '../../sdk/testing/eventually.js';
import { newLogger } from '../../base/log/logger.js';
import { CertificateAuthority } from '../../pki/certificate-authority.js';
import { ServerLoadBalancer } from './server-load-balancer.js';

/** namedServer answers every connection with its name and closes it. */
async function namedServer(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { server, port: typeof a === 'object' && a ? a.port : 0 };
}

function close(server: Server): Promise<void> {
  return new Promise((r) => server.close(() => r()));
}

/** ask connects through the balancer and reads what the server says ('' when the connection is dropped). */
function ask(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => (got += d));
    s.on('close', () => resolve(got));
    s.on('error', () => undefined);
  });
}

void describe('ServerLoadBalancer', () => {
  void it('sticks to the current server, fails over when it dies, and keeps the default server as a last resort', async () => {
    const a = await namedServer('a');
    const b = await namedServer('b');
    const lb = new ServerLoadBalancer({ defaultServer: `https://127.0.0.1:${a.port}`, log: newLogger('test') });
    await lb.start();
    const port = Number(new URL(lb.url).port);
    try {
      assert.equal(await ask(port), 'a');
      lb.setServers([{ host: '127.0.0.1', port: b.port }]);
      // The current server stays current while it answers.
      assert.equal(await ask(port), 'a');
      assert.deepEqual(lb.servers(), [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
      await close(a.server);
      assert.equal(await ask(port), 'b');
      assert.equal(await ask(port), 'b');
      await close(b.server);
      // Nobody answers: the connection is dropped, not left hanging.
      assert.equal(await ask(port), '');
    } finally {
      await lb.stop();
    }
  });

  void it('keeps servers given up front as fallbacks and listens where told', async () => {
    const a = await namedServer('a');
    const b = await namedServer('b');
    await close(a.server);
    const lb = new ServerLoadBalancer({ defaultServer: `https://127.0.0.1:${a.port}`, servers: [`https://127.0.0.1:${b.port}`], listen: { host: '127.0.0.1', port: 0 }, log: newLogger('test') });
    await lb.start();
    const port = Number(new URL(lb.url).port);
    try {
      assert.equal(await ask(port), 'b');
      assert.equal(lb.current(), `127.0.0.1:${b.port}`);
      // A list from the Endpoints that omits them keeps both given servers.
      lb.setServers([{ host: '127.0.0.1', port: 1 }]);
      assert.deepEqual([...lb.servers()].sort(), [`127.0.0.1:1`, `127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`].sort());
    } finally {
      await lb.stop();
      await close(b.server);
    }
  });

  void it('with health checks, moves off a server that accepts connections but fails /readyz', async () => {
    const ca = await CertificateAuthority.create('test-ca');
    const cert = await ca.issue({ commonName: 'server', ipAddresses: ['127.0.0.1'], usage: 'server' });
    let aReady = true;
    // Each answers /readyz (200 or 500) and tells its name on every other path.
    const named = async (name: string, ready: () => boolean): Promise<{ close: () => Promise<void>; port: number }> => {
      const server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
        if (req.url === '/readyz') res.writeHead(ready() ? 200 : 500).end();
        else res.end(name);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const address = server.address();
      return { close: () => new Promise((r) => server.close(() => r())), port: typeof address === 'object' && address ? address.port : 0 };
    };
    const a = await named('a', () => aReady);
    const b = await named('b', () => true);
    const lb = new ServerLoadBalancer({ defaultServer: `https://127.0.0.1:${a.port}`, servers: [`https://127.0.0.1:${b.port}`], healthCheckIntervalMs: 50, log: newLogger('test') });
    await lb.start();
    const get = (): Promise<string> => fetchVia(lb.url, ca.pem.certPem);
    try {
      assert.equal(await get(), 'a');
      aReady = false;
      await eventually(async () => (await get()) === 'b', 5_000, 50);
      assert.equal(lb.current(), `127.0.0.1:${b.port}`);
    } finally {
      await lb.stop();
      await a.close();
      await b.close();
    }
  });
});

/** fetchVia GETs `/` through the balancer (TLS passes through: the server's certificate is checked against `caPem`). */
function fetchVia(url: string, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpsRequest({ host: u.hostname, port: Number(u.port), path: '/', ca: caPem, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}
