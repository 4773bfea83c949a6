/**
 * KubeletServer streaming over real TLS and WebSocket with a fake runtime: the channel protocols (v5 close of
 * stdin, v4 Status outcomes, v1 text outcomes, resize), and the refusals before the handshake (403 for another
 * identity, 404 for a container that is not running, 400 for SPDY, 501 for port-forward).
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { newLogger } from '../../base/log/logger.js';
import { CertificateAuthority, type PemPair } from '../../pki/certificate-authority.js';
import type { StreamOptions } from '../cri/runtime-service.js';
import { KubeletServer } from './kubelet-server.js';

/** fakeRuntime runs a few pretend commands against the streams. */
const fakeRuntime = {
  async exec(_id: string, cmd: readonly string[], s: StreamOptions): Promise<number> {
    const [program, ...args] = cmd;
    if (program === 'echo') s.stdout?.write(`${args.join(' ')}\n`);
    if (program === 'fail') {
      s.stderr?.write('failing\n');
      return 3;
    }
    if (program === 'cat' && s.stdin) for await (const chunk of s.stdin) s.stdout?.write(chunk as Buffer);
    if (program === 'size') for await (const size of s.resize ?? []) {
      s.stdout?.write(`${size.width}x${size.height}\n`);
      break;
    }
    if (program === 'hang') await new Promise<void>((resolve) => s.signal?.addEventListener('abort', () => resolve()));
    return 0;
  },
  attach(_id: string, s: StreamOptions): Promise<void> {
    s.stdout?.write('attached\n');
    return Promise.resolve();
  },
};

interface Session {
  protocol: string;
  frames: string[];
}

void describe('KubeletServer streaming', () => {
  let server: KubeletServer;
  let port: number;
  let ca: CertificateAuthority;
  let admin: PemPair;
  let other: PemPair;
  before(async () => {
    ca = await CertificateAuthority.create('test-ca');
    const serving = await ca.issue({ commonName: 'node', ipAddresses: ['127.0.0.1'], usage: 'server' });
    admin = await ca.issue({ commonName: 'kube-apiserver-kubelet-client', usage: 'client' });
    other = await ca.issue({ commonName: 'someone', usage: 'client' });
    server = new KubeletServer({
      logs: { logFile: () => Promise.resolve(undefined) },
      streams: { containers: { containerId: (_ns, pod, container) => Promise.resolve(pod === 'p' && container === 'c' ? 'cid' : undefined) }, runtime: fakeRuntime },
      tls: { certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem: ca.pem.certPem },
      port: 0,
      bindAddress: '127.0.0.1',
      log: newLogger('kubelet-server-test'),
    });
    port = await server.start();
  });
  after(async () => {
    await server.stop();
  });

  /** open runs a session: sends `send` frames once open, collects frames as `<channel>:<text>` until close. */
  const open = (path: string, protocols: string[], send: Buffer[] = []): Promise<Session> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`wss://127.0.0.1:${port}${path}`, protocols, { ca: ca.pem.certPem, cert: admin.certPem, key: admin.keyPem });
      const frames: string[] = [];
      ws.on('open', () => send.forEach((f) => ws.send(f)));
      ws.on('message', (m: Buffer) => frames.push(`${m[0] ?? -1}:${m.subarray(1).toString()}`));
      ws.on('close', () => resolve({ protocol: ws.protocol, frames }));
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => reject(new Error(`${res.statusCode ?? 0} ${body.trim()}`)));
      });
      ws.on('error', reject);
    });
  const frame = (channel: number, text: string | Buffer): Buffer => Buffer.concat([Buffer.from([channel]), Buffer.from(text)]);

  void it('runs an exec over v5: output, then the Status, then a normal close', async () => {
    const s = await open('/exec/ns/p/c?command=echo&command=hi&stdout=true&stderr=true', ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    assert.equal(s.protocol, 'v5.channel.k8s.io');
    assert.deepEqual(s.frames, ['1:hi\n', '3:{"metadata":{},"status":"Success"}']);
  });

  void it('feeds stdin until the v5 close frame', async () => {
    const s = await open('/exec/ns/p/c?command=cat&stdin=true&stdout=true', ['v5.channel.k8s.io'], [frame(0, 'abc'), frame(0, 'def'), frame(255, Buffer.from([0]))]);
    assert.deepEqual(s.frames, ['1:abc', '1:def', '3:{"metadata":{},"status":"Success"}']);
  });

  void it('reports a non-zero exit as NonZeroExitCode on v4 and as text on v1', async () => {
    const v4 = await open('/exec/ns/p/c?command=fail&stdout=true&stderr=true', ['v4.channel.k8s.io']);
    assert.equal(v4.frames[0], '2:failing\n');
    const status = JSON.parse(v4.frames[1]?.slice(2) ?? '{}') as { status: string; reason: string; details: { causes: { reason: string; message: string }[] } };
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '3' }]);
    const v1 = await open('/exec/ns/p/c?command=fail&stdout=true&stderr=true', ['channel.k8s.io']);
    assert.deepEqual(v1.frames, ['2:failing\n', '3:command terminated with non-zero exit code: exit status 3']);
  });

  void it('passes terminal sizes from the resize channel', async () => {
    const s = await open('/exec/ns/p/c?command=size&stdin=true&stdout=true&tty=true', ['v4.channel.k8s.io'], [frame(4, '{"Width":120,"Height":40}')]);
    assert.deepEqual(s.frames, ['1:120x40\n', '3:{"metadata":{},"status":"Success"}']);
  });

  void it('attaches', async () => {
    const s = await open('/attach/ns/p/c?stdout=true', ['v5.channel.k8s.io']);
    assert.deepEqual(s.frames, ['1:attached\n', '3:{"metadata":{},"status":"Success"}']);
  });

  void it('ends the command when the client goes away', async () => {
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`wss://127.0.0.1:${port}/exec/ns/p/c?command=hang&stdout=true`, ['v5.channel.k8s.io'], { ca: ca.pem.certPem, cert: admin.certPem, key: admin.keyPem });
      ws.on('open', () => ws.terminate());
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
  });

  void it('refuses before the handshake with the kubelet codes', async () => {
    await assert.rejects(open('/exec/ns/p/missing?command=echo&stdout=true', ['v5.channel.k8s.io']), /^Error: 404 container "missing" in pod "p" is not available/);
    await assert.rejects(open('/exec/ns/p/c?stdout=true', ['v5.channel.k8s.io']), /^Error: 400 you must specify at least 1 command/);
    // A kubelet built without a port forwarder does not serve it.
    await assert.rejects(open('/portForward/ns/p?ports=80', ['v5.channel.k8s.io']), /^Error: 404 port-forward is not served by this kubelet/);
    const spdy = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/exec/ns/p/c?command=echo&stdout=true', ca: ca.pem.certPem, cert: admin.certPem, key: admin.keyPem, headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' } });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end();
    });
    assert.equal(spdy, 400);
    const forbidden = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`wss://127.0.0.1:${port}/exec/ns/p/c?command=echo&stdout=true`, ['v5.channel.k8s.io'], { ca: ca.pem.certPem, cert: other.certPem, key: other.keyPem });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('opened')));
      ws.on('error', reject);
    });
    assert.equal(forbidden, 403);
  });
  void it('refuses a TLS 1.1 handshake and accepts TLS 1.2 (CIS: TLS 1.2+ on every link)', async () => {
    // The client offers only TLS 1.0–1.1 (with the security level lowered so OpenSSL will offer them at all): the
    // server must refuse the handshake itself.
    const handshake = (minVersion: 'TLSv1' | 'TLSv1.2', maxVersion: 'TLSv1.1' | 'TLSv1.2'): Promise<string> =>
      new Promise((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, ca: ca.pem.certPem, cert: admin.certPem, key: admin.keyPem, minVersion, maxVersion, ciphers: 'DEFAULT@SECLEVEL=0', servername: 'node' });
        socket.once('secureConnect', () => {
          resolve(socket.getProtocol() ?? 'unknown');
          socket.destroy();
        });
        socket.once('error', (err: Error) => resolve(`refused: ${err.message}`));
      });
    assert.match(await handshake('TLSv1', 'TLSv1.1'), /^refused: .*alert protocol version/);
    assert.equal(await handshake('TLSv1.2', 'TLSv1.2'), 'TLSv1.2');
  });
});
