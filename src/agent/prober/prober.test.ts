import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { ExecSyncResult, RuntimeService } from '../cri/runtime-service.js';
import { decodeServingStatus, encodeHealthCheckRequest } from './grpc-health.js';
import { RuntimePodDialer } from './pod-dialer.js';
import { Prober } from './prober.js';

/** The parts of a RuntimeService the prober uses: execSync scripted, portForward to the host's loopback. */
function fakeRuntime(exec: (cmd: readonly string[], timeoutSeconds: number) => ExecSyncResult): RuntimeService {
  const r: Partial<RuntimeService> = {
    execSync: (_id, cmd, timeoutSeconds) => Promise.resolve(exec(cmd, timeoutSeconds)),
    portForward: (_sandbox: string, port: number, stream: Duplex) =>
      new Promise<void>((resolve, reject) => {
        const s = connect(port, '127.0.0.1');
        s.once('error', (e) => reject(new Error(`Cannot forward port ${port}: ${e.message}`)));
        s.once('connect', () => {
          stream.pipe(s).pipe(stream);
          s.on('close', () => resolve());
        });
      }),
  };
  return r as RuntimeService;
}

const freePort = async (): Promise<number> => {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
};

void describe('Prober', () => {
  let http: Server;
  let httpPort = 0;
  let grpcServer: grpc.Server;
  let grpcPort = 0;
  let serving = 'SERVING';
  const headers: Record<string, string | string[] | undefined>[] = [];

  before(async () => {
    http = createHttpServer((req, res) => {
      headers.push(req.headers);
      res.statusCode = req.url === '/healthz' ? 200 : req.url === '/slow' ? 200 : 500;
      if (req.url === '/slow') setTimeout(() => res.end('late'), 3000);
      else res.end(req.url === '/healthz' ? 'ok' : 'bad');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    httpPort = (http.address() as AddressInfo).port;
    grpcServer = new grpc.Server();
    const codes = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
    grpcServer.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: (v: Buffer) => v,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (status: string) => Buffer.from([0x08, codes.indexOf(status)]),
          responseDeserialize: (b: Buffer) => b,
        },
      },
      {
        Check: (call: grpc.ServerUnaryCall<Buffer, string>, cb: grpc.sendUnaryData<string>) => {
          const service = call.request.subarray(2).toString();
          if (service === 'missing') cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
          else cb(null, serving);
        },
      },
    );
    grpcPort = await new Promise<number>((resolve, reject) => grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  });
  after(async () => {
    await new Promise((r) => http.close(r));
    grpcServer.forceShutdown();
  });

  const exitWith = (exitCode: number, out = ''): ExecSyncResult => ({ stdout: Buffer.from(out), stderr: Buffer.alloc(0), exitCode, timedOut: false });
  const runtime = fakeRuntime((cmd) => (cmd[0] === 'timeout' ? { ...exitWith(137), timedOut: true } : exitWith(cmd[0] === 'ok' ? 0 : 1, `${cmd.join(' ')} ran`)));
  const prober = new Prober({ runtime, dialer: new RuntimePodDialer(runtime) });
  // Host network (dialled from the node) and a pod network namespace (dialled through portForward).
  const hostTarget = { containerId: 'c', endpoint: { sandboxId: 's', podIP: '127.0.0.1' }, ports: [{ name: 'http', containerPort: 0 }] };
  const netnsTarget = { containerId: 'c', endpoint: { sandboxId: 's', podIP: '10.0.0.9', netnsPath: '/run/netns/x' } };

  void it('exec: exit 0 succeeds, anything else fails with the output, a timeout says so', async () => {
    assert.deepEqual(await prober.check({ exec: { command: ['ok'] } }, hostTarget, 1000), { result: 'success', message: 'ok ran' });
    assert.deepEqual(await prober.check({ exec: { command: ['no', 'x'] } }, hostTarget, 1000), { result: 'failure', message: 'no x ran' });
    assert.deepEqual(await prober.check({ exec: { command: ['timeout'] } }, hostTarget, 1000), { result: 'failure', message: 'command "timeout" timed out' });
  });

  void it('httpGet: 2xx/3xx succeed, others fail with upstream messages, on the node and through the netns', async () => {
    for (const target of [hostTarget, netnsTarget]) {
      assert.equal((await prober.check({ httpGet: { path: '/healthz', port: httpPort } }, target, 1000)).result, 'success');
      assert.deepEqual(await prober.check({ httpGet: { path: '/broken', port: httpPort } }, target, 1000), { result: 'failure', message: 'HTTP probe failed with statuscode: 500' });
    }
    const last = headers.at(-1) ?? {};
    assert.equal(last['user-agent'], 'kube-probe/1.32');
    assert.equal(last['host'], `10.0.0.9:${httpPort}`);
    const slow = await prober.check({ httpGet: { path: '/slow', port: httpPort } }, hostTarget, 200);
    assert.match(slow.message, /context deadline exceeded/);
    const closed = await freePort();
    for (const target of [hostTarget, netnsTarget]) {
      const refused = await prober.check({ httpGet: { path: '/', port: closed } }, target, 1000);
      assert.equal(refused.result, 'failure');
      assert.match(refused.message, /^Get "http:\/\/[\d.]+:\d+\/": .*(connection refused|ECONNREFUSED)/);
    }
    assert.deepEqual(await prober.check({ httpGet: { port: 'nope' } }, hostTarget, 1000), { result: 'failure', message: `couldn't find port "nope" in the container's ports` });
  });

  void it('tcpSocket: an open port succeeds, a closed one fails', async () => {
    assert.equal((await prober.check({ tcpSocket: { port: httpPort } }, hostTarget, 1000)).result, 'success');
    const refused = await prober.check({ tcpSocket: { port: await freePort() } }, hostTarget, 1000);
    assert.equal(refused.result, 'failure');
    assert.match(refused.message, /^dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/);
  });

  void it('grpc: talks grpc.health.v1 to a real gRPC server, on the node and through the netns', async () => {
    for (const target of [hostTarget, netnsTarget]) {
      serving = 'SERVING';
      assert.deepEqual(await prober.check({ grpc: { port: grpcPort } }, target, 2000), { result: 'success', message: '' });
      serving = 'NOT_SERVING';
      assert.deepEqual(await prober.check({ grpc: { port: grpcPort, service: 'web' } }, target, 2000), { result: 'failure', message: 'service unhealthy (responded with "NOT_SERVING")' });
    }
    const missing = await prober.check({ grpc: { port: grpcPort, service: 'missing' } }, hostTarget, 2000);
    assert.equal(missing.message, 'rpc error: code = NotFound desc = unknown service');
    const down = await prober.check({ grpc: { port: await freePort() } }, hostTarget, 1000);
    assert.equal(down.result, 'failure');
  });

  void it('encodes and decodes the health messages', () => {
    assert.deepEqual([...encodeHealthCheckRequest('ab')], [0, 0, 0, 0, 4, 0x0a, 2, 0x61, 0x62]);
    assert.deepEqual([...encodeHealthCheckRequest('')], [0, 0, 0, 0, 0]);
    assert.equal(decodeServingStatus(Buffer.from([0, 0, 0, 0, 2, 0x08, 2])), 'NOT_SERVING');
    assert.equal(decodeServingStatus(Buffer.from([0, 0, 0, 0, 0])), 'UNKNOWN');
  });
});
