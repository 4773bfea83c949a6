/**
 * WebhookClient: POSTs a review (AdmissionReview, ConversionReview) to a webhook over HTTPS and returns the
 * decoded answer. The server is
 * verified against the webhook's caBundle (or the system roots when it has none), with `serverName` as the TLS
 * name (a Service's `<name>.<namespace>.svc`), and the whole call is bounded by the webhook's timeout.
 */
import { request } from 'node:https';

/** WebhookTarget is where a webhook is reached. */
export interface WebhookTarget {
  /** The URL to POST to (for a Service: the endpoint's address and port, with the Service's path). */
  readonly url: string;
  /** PEM certificates that verify the server. @default the system roots */
  readonly caPem?: string;
  /** The TLS server name, when it differs from the URL's host. */
  readonly serverName?: string;
}

/** The largest response body accepted from a webhook. */
const MAX_RESPONSE_BYTES = 3 * 1024 * 1024;

/** postReview sends `review` and resolves with the decoded JSON response; rejects on any failure. */
export function postReview(target: WebhookTarget, review: unknown, timeoutMs: number): Promise<unknown> {
  const body = Buffer.from(JSON.stringify(review));
  return new Promise((resolve, reject) => {
    const url = new URL(target.url);
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': body.length },
        ca: target.caPem,
        servername: target.serverName ?? (url.hostname.replace(/^\[|\]$/g, '').match(/^[\d.:]+$/) ? undefined : url.hostname),
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new Error(`the response is larger than ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
            reject(new Error(`the server responded with status ${res.statusCode ?? 0}: ${text.slice(0, 200)}`));
            return;
          }
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new Error('the response body is not JSON'));
          }
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`context deadline exceeded (timeout ${timeoutMs / 1000}s)`)), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new Error(`context deadline exceeded (timeout ${timeoutMs / 1000}s)`)));
    req.on('error', (err) => reject(new Error(`Post "${target.url}": ${err.message}`)));
    req.end(body);
  });
}
