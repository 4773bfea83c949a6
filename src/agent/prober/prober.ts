/**
 * Prober runs one check of a probe or hook handler against one container: exec through the runtime's execSync
 * (bounded by timeoutSeconds), httpGet, tcpSocket and grpc through a PodDialer. It never throws: every way a
 * check can go wrong is a `failure` outcome whose message is worded as upstream's prober words it, because those
 * messages end up in `Unhealthy` events (`Liveness probe failed: HTTP probe failed with statuscode: 500`).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { RuntimeService } from '../cri/runtime-service.js';
import { checkGrpcHealth } from './grpc-health.js';
import type { PodDialer, PodEndpoint } from './pod-dialer.js';
import { resolvePort, type HTTPGetAction, type NamedPort, type ProbeHandler, type ProbeOutcome } from './probe-spec.js';

/** ProbeTarget is the container a check runs against. */
export interface ProbeTarget {
  readonly containerId: string;
  readonly endpoint: PodEndpoint;
  /** The container's declared ports, for probes that name their port. */
  readonly ports?: readonly NamedPort[];
}

/** PROBE_USER_AGENT is what upstream's kubelet 1.32 sends. */
const PROBE_USER_AGENT = 'kube-probe/1.32';
/** At most this much of a probe's output is kept in messages (upstream keeps 10 KiB). */
const MAX_OUTPUT = 10 * 1024;

const success = (message = ''): ProbeOutcome => ({ result: 'success', message });
const failure = (message: string): ProbeOutcome => ({ result: 'failure', message });

/** Prober runs checks; see the file comment. */
export class Prober {
  readonly #runtime: RuntimeService;
  readonly #dialer: PodDialer;

  constructor(config: { runtime: RuntimeService; dialer: PodDialer }) {
    this.#runtime = config.runtime;
    this.#dialer = config.dialer;
  }

  /** check runs `handler` once; timeoutMs bounds it (0 = unbounded, for hooks). */
  async check(handler: ProbeHandler, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
    try {
      if (handler.exec) return await this.#exec(handler.exec.command ?? [], target, timeoutMs);
      if (handler.httpGet) return await this.#httpGet(handler.httpGet, target, timeoutMs);
      if (handler.tcpSocket) {
        const port = resolvePort(handler.tcpSocket.port, target.ports);
        if (typeof port === 'string') return failure(port);
        const why = await this.#dialer.checkTCP(target.endpoint, handler.tcpSocket.host, port, timeoutMs || 1000);
        return why === undefined ? success() : failure(why);
      }
      if (handler.grpc) {
        const authority = `${target.endpoint.podIP}:${handler.grpc.port}`;
        const stream = this.#dialer.dial(target.endpoint, undefined, handler.grpc.port);
        const why = await checkGrpcHealth(stream, authority, handler.grpc.service ?? '', timeoutMs || 1000);
        return why === undefined ? success() : failure(why);
      }
      return failure('missing probe handler');
    } catch (err) {
      return failure(err instanceof Error ? err.message : String(err));
    }
  }

  async #exec(command: readonly string[], target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
    const r = await this.#runtime.execSync(target.containerId, command, Math.ceil(timeoutMs / 1000));
    const output = Buffer.concat([r.stdout, r.stderr]).subarray(0, MAX_OUTPUT).toString('utf8');
    if (r.timedOut) return failure(`command ${JSON.stringify(command.join(' '))} timed out`);
    return r.exitCode === 0 ? success(output) : failure(output || `command ${JSON.stringify(command.join(' '))} exited with ${r.exitCode}`);
  }

  #httpGet(action: HTTPGetAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
    const port = resolvePort(action.port, target.ports);
    if (typeof port === 'string') return Promise.resolve(failure(port));
    const https = (action.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
    const host = action.host || target.endpoint.podIP;
    const path = action.path ? (action.path.startsWith('/') ? action.path : `/${action.path}`) : '/';
    const url = `${https ? 'https' : 'http'}://${host}:${port}${path}`;
    const headers: Record<string, string> = { 'User-Agent': PROBE_USER_AGENT, Accept: '*/*', Host: `${host}:${port}` };
    for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
    return new Promise((resolve) => {
      let done = false;
      const finish = (o: ProbeOutcome): void => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        req.destroy();
        resolve(o);
      };
      const createConnection = (): ReturnType<PodDialer['dial']> => {
        const raw = this.#dialer.dial(target.endpoint, action.host, port);
        return https ? tlsConnect({ socket: raw, rejectUnauthorized: false, servername: action.host }) : raw;
      };
      const send = https ? httpsRequest : httpRequest;
      const req = send({ method: 'GET', host, port, path, headers, createConnection }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          if (size < MAX_OUTPUT) chunks.push(d);
          size += d.length;
        });
        const status = res.statusCode ?? 0;
        const settle = (): void => {
          const body = Buffer.concat(chunks).subarray(0, MAX_OUTPUT).toString('utf8');
          finish(status >= 200 && status < 400 ? success(body) : failure(`HTTP probe failed with statuscode: ${status}`));
        };
        res.on('end', settle);
        res.on('error', settle);
      });
      const timer = timeoutMs > 0 ? setTimeout(() => finish(failure(`Get ${JSON.stringify(url)}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)), timeoutMs) : undefined;
      req.on('error', (e) => finish(failure(`Get ${JSON.stringify(url)}: ${e.message}`)));
      req.end();
    });
  }
}
