/**
 * ApiClient: a small HTTPS client for the reliability suites, talking to a TestCluster as any client does, over
 * keep-alive connections (64 concurrent clients would otherwise spend their time in TLS handshakes). It follows the
 * server across restarts (the port changes: `reset()` re-reads the URL and credentials).
 *
 * Outcomes are values: an HTTP answer of any status is `{ status, body }`; a request that never reached the server
 * (connection refused) is `refused`; one whose fate is unknown (connection reset mid-request, timeout) is `lost`.
 */
import { Agent, request } from 'node:https';
import type { TestCluster } from '../../harness/test-cluster.js';

/** ApiAnswer is the outcome of one request (see the file comment). */
export type ApiAnswer = { readonly kind: 'http'; readonly status: number; readonly body: string } | { readonly kind: 'refused' | 'lost'; readonly error: string };

/** ApiClient sends requests to one TestCluster. */
export class ApiClient {
  readonly #cluster: TestCluster;
  #agent: Agent;
  #url: string;
  readonly #timeoutMs: number;

  constructor(cluster: TestCluster, opts: { timeoutMs?: number; maxSockets?: number } = {}) {
    this.#cluster = cluster;
    this.#timeoutMs = opts.timeoutMs ?? 15_000;
    this.#agent = this.#newAgent(opts.maxSockets ?? 128);
    this.#url = cluster.url;
  }

  #newAgent(maxSockets: number): Agent {
    const creds = this.#cluster.credentials();
    return new Agent({ keepAlive: true, maxSockets, ca: creds.ca, cert: creds.cert, key: creds.key });
  }

  /** reset drops pooled connections and picks up the server's new address after a restart. */
  reset(): void {
    const max = this.#agent.maxSockets;
    this.#agent.destroy();
    this.#agent = this.#newAgent(max);
    this.#url = this.#cluster.url;
  }

  close(): void {
    this.#agent.destroy();
  }

  /** send issues one request with an optional JSON body. */
  send(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    return this.sendRaw(method, path, body === undefined ? undefined : JSON.stringify(body), 'application/json');
  }

  /** sendRaw issues one request with a body of any bytes and content type (hostile-input tests). */
  sendRaw(method: string, path: string, payload: string | Buffer | undefined, contentType: string, headers: Readonly<Record<string, string>> = {}): Promise<ApiAnswer> {
    return new Promise((done) => {
      let settled = false;
      let sent = false;
      const finish = (a: ApiAnswer): void => {
        if (!settled) {
          settled = true;
          done(a);
        }
      };
      const req = request(
        new URL(path, this.#url),
        { method, agent: this.#agent, headers: { accept: 'application/json', ...(payload !== undefined ? { 'content-type': contentType, 'content-length': String(Buffer.byteLength(payload)) } : {}), ...headers }, timeout: this.#timeoutMs },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => finish({ kind: 'http', status: res.statusCode ?? 0, body: text }));
          res.on('error', (err) => finish({ kind: 'lost', error: err.message }));
        },
      );
      // A pooled socket is already connected: the request goes out at once.
      req.on('socket', (s) => (s.connecting ? s.once('connect', () => (sent = true)) : (sent = true)));
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // Refused: the request never left this process, so it certainly had no effect.
        finish(err.code === 'ECONNREFUSED' && !sent ? { kind: 'refused', error: err.message } : { kind: 'lost', error: err.message });
      });
      req.end(payload);
    });
  }
}
