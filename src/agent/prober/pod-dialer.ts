/**
 * PodDialer: how the kubelet opens TCP connections "to the pod" for httpGet, tcpSocket and grpc probes and hooks.
 *
 * Upstream dials the pod IP from the node. Here a pod without a pod network has only loopback inside its network
 * namespace, so a connection to the pod goes into the sandbox's namespace instead: streams through the runtime's
 * `portForward` (which reaches the sandbox's loopback), and the plain reachability check of tcpSocket through
 * `nsenter --net=<netns> busybox nc -e /bin/true` (it exits 0 exactly when the connection opened; a relayed stream
 * cannot tell "connected" from "still connecting"). Host-network pods and an explicit `host` are dialled from the
 * node directly.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { Duplex } from 'node:stream';
import type { RuntimeService } from '../cri/runtime-service.js';

/** PodEndpoint says where a pod's ports are. */
export interface PodEndpoint {
  readonly sandboxId: string;
  /** The sandbox's network namespace; absent for host-network pods. */
  readonly netnsPath?: string;
  readonly podIP: string;
}

/** PodDialer opens connections to a pod's ports. */
export interface PodDialer {
  /** dial returns a stream to `port`; connection failures arrive as the stream's 'error'. */
  dial(endpoint: PodEndpoint, host: string | undefined, port: number): Duplex;
  /** checkTCP resolves undefined when a connection opens within timeoutMs, else why not. */
  checkTCP(endpoint: PodEndpoint, host: string | undefined, port: number, timeoutMs: number): Promise<string | undefined>;
}

/** duplexPair returns two connected in-memory streams: what one writes, the other reads. */
export function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (peer: () => Duplex | undefined): Duplex =>
    new Duplex({
      read() {
        // Data is pushed by the peer's writes.
      },
      write(chunk: Buffer, _enc, cb) {
        peer()?.push(chunk);
        cb();
      },
      final(cb) {
        peer()?.push(null);
        cb();
      },
      destroy(err, cb) {
        // The peer just ends: the error belongs to this side's user, and the other side may have no listener.
        const p = peer();
        if (p && !p.destroyed) p.destroy();
        cb(err);
      },
    });
  ends.push(make(() => ends[1]), make(() => ends[0]));
  return [ends[0] as Duplex, ends[1] as Duplex];
}

/** RuntimePodDialer dials through the RuntimeService (see the file comment). */
export class RuntimePodDialer implements PodDialer {
  readonly #runtime: RuntimeService;

  constructor(runtime: RuntimeService) {
    this.#runtime = runtime;
  }

  dial(endpoint: PodEndpoint, host: string | undefined, port: number): Duplex {
    if (host || !endpoint.netnsPath) return connect(port, host || endpoint.podIP);
    const [mine, theirs] = duplexPair();
    this.#runtime.portForward(endpoint.sandboxId, port, theirs).catch((err: unknown) => {
      const msg = err instanceof Error ? err.message : String(err);
      mine.destroy(new Error(`dial tcp ${endpoint.podIP}:${port}: connect: ${/refused/i.test(msg) ? 'connection refused' : msg}`));
    });
    return mine;
  }

  checkTCP(endpoint: PodEndpoint, host: string | undefined, port: number, timeoutMs: number): Promise<string | undefined> {
    const target = `${host || endpoint.podIP}:${port}`;
    if (host || !endpoint.netnsPath) {
      return new Promise((resolve) => {
        const socket = connect(port, host || endpoint.podIP);
        const timer = setTimeout(() => {
          socket.destroy();
          resolve(`dial tcp ${target}: i/o timeout`);
        }, timeoutMs);
        socket.once('connect', () => {
          clearTimeout(timer);
          socket.destroy();
          resolve(undefined);
        });
        socket.once('error', (e: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          resolve(`dial tcp ${target}: connect: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.message}`);
        });
      });
    }
    return new Promise((resolve) => {
      const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
      const child = spawn('nsenter', [`--net=${endpoint.netnsPath ?? ''}`, '/bin/busybox', 'nc', '-w', seconds, '127.0.0.1', String(port), '-e', '/bin/true'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 1000);
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve(`dial tcp ${target}: ${e.message}`);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(undefined);
        else resolve(`dial tcp ${target}: connect: ${/refused/i.test(err) ? 'connection refused' : err.trim() || 'i/o timeout'}`);
      });
    });
  }
}
