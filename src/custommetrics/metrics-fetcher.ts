/**
 * MetricsFetcher: one GET of a metrics endpoint. The collector depends on the `MetricsFetcher` function type so
 * tests substitute a fake; `httpMetricsFetcher` is the real one (node:http / node:https, a timeout, a body cap).
 * Failures are values (`{ error }`), never exceptions: an unreachable endpoint is an expected outcome.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** FetchResult is a response body, or why there is none. */
export type FetchResult = { readonly body: string; readonly contentType: string } | { readonly error: string };

/** MetricsFetcher GETs a URL within timeoutMs. */
export type MetricsFetcher = (url: string, options: { readonly timeoutMs: number; readonly signal?: AbortSignal }) => Promise<FetchResult>;

/** MAX_METRICS_BODY_BYTES bounds what one scrape reads (Prometheus' default body limit is unbounded; ours is not). */
export const MAX_METRICS_BODY_BYTES = 10 * 1024 * 1024;

/** ACCEPT asks for the Prometheus text format first, JSON next, anything last. */
const ACCEPT = 'text/plain;version=0.0.4;q=0.9,application/json;q=0.8,*/*;q=0.1';

/** httpMetricsFetcher fetches over HTTP(S); HTTPS servers are verified against the system's CAs. */
export const httpMetricsFetcher: MetricsFetcher = (url, options) =>
  new Promise<FetchResult>((resolve) => {
    let settled = false;
    const done = (r: FetchResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      resolve({ error: `invalid URL "${url}"` });
      return;
    }
    const send = parsed.protocol === 'https:' ? httpsRequest : parsed.protocol === 'http:' ? httpRequest : undefined;
    if (!send) {
      resolve({ error: `unsupported scheme "${parsed.protocol}"` });
      return;
    }
    const req = send(parsed, { method: 'GET', headers: { Accept: ACCEPT, 'User-Agent': 'tkube-metrics-collector' }, signal: options.signal }, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        res.resume();
        done({ error: `GET ${url}: HTTP ${status}` });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_METRICS_BODY_BYTES) {
          req.destroy();
          done({ error: `GET ${url}: body larger than ${MAX_METRICS_BODY_BYTES} bytes` });
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => done({ body: Buffer.concat(chunks).toString('utf8'), contentType: String(res.headers['content-type'] ?? '') }));
      res.on('error', (err) => done({ error: `GET ${url}: ${err.message}` }));
    });
    const timer = setTimeout(() => {
      req.destroy();
      done({ error: `GET ${url}: no answer within ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    timer.unref();
    req.on('error', (err) => done({ error: `GET ${url}: ${err.message}` }));
    req.end();
  });
