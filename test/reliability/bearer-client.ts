/**
 * BearerClient: one user of the overload suite and the fairness benchmark (bench/fairness.ts), talking to a server
 * with a bearer token and no client certificate, over keep-alive connections. Every request ends in an Answer: a
 * transport error or a 20 s timeout is status 0 with the error's message as its body, so callers count it as a
 * failure like any non-2xx answer instead of stopping at a thrown error.
 */
import { Agent, request } from 'node:https';

/** Answer is one response: its status, body, Retry-After header, and milliseconds from sending to its end. */
export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly retryAfter: string | undefined;
  readonly ms: number;
}

export class BearerClient {
  readonly #agent: Agent;
  constructor(
    private readonly url: string,
    ca: string,
    private readonly token: string,
    maxSockets = 64,
  ) {
    this.#agent = new Agent({ keepAlive: true, maxSockets, ca });
  }

  send(method: string, path: string, body?: unknown): Promise<Answer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const started = performance.now();
    const failed = (err: Error): Answer => ({ status: 0, body: err.message, retryAfter: undefined, ms: performance.now() - started });
    return new Promise((done) => {
      const headers = { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) };
      const req = request(new URL(path, this.url), { method, agent: this.#agent, timeout: 20_000, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text, retryAfter: res.headers['retry-after'], ms: performance.now() - started }));
        res.on('error', (err) => done(failed(err)));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => done(failed(err)));
      req.end(payload);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** leasePath is the Leases collection of a namespace, or one Lease in it. */
export const leasePath = (ns: string, name?: string): string => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases${name ? `/${name}` : ''}`;

/** microTime is now as a MicroTime (Lease renewTime) string. */
export const microTime = (): string => new Date().toISOString().replace('Z', '000Z');

/**
 * renewLease renews one Lease every 200 ms until `until` (read, then update, as the kubelet and leader election do),
 * counting successful renewals in `count` and noting every other answer in `failures`.
 */
export async function renewLease(b: BearerClient, ns: string, name: string, until: () => boolean, failures: string[], count: { n: number }): Promise<void> {
  while (!until()) {
    const got = await b.send('GET', leasePath(ns, name));
    if (got.status !== 200) failures.push(`GET ${ns}/${name}: ${got.status} ${got.body.slice(0, 200)}`);
    else {
      const obj = JSON.parse(got.body) as { spec: Record<string, unknown> };
      obj.spec['renewTime'] = microTime();
      const put = await b.send('PUT', leasePath(ns, name), obj);
      if (put.status !== 200) failures.push(`PUT ${ns}/${name}: ${put.status} ${put.body.slice(0, 200)}`);
      else count.n++;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
