/**
 * The part of the kubelet's Summary API (`GET /stats/summary`, stats/v1alpha1) the metrics server reads, and the
 * HTTPS call that fetches it. Only cumulative CPU time and the memory working set matter here: rates are computed
 * by the MetricsStore from two scrapes, as upstream's metrics-server does, not taken from the kubelet's own
 * `usageNanoCores` (whose window depends on who else asked the kubelet last).
 */
import { request } from 'node:https';

/** SummaryCpu is the cpu block of a node or container (times are RFC 3339). */
export interface SummaryCpu {
  readonly time?: string;
  readonly usageCoreNanoSeconds?: number;
}

/** SummaryMemory is the memory block of a node or container. */
export interface SummaryMemory {
  readonly time?: string;
  readonly workingSetBytes?: number;
}

/** SummaryContainer is one container of a pod in the Summary. */
export interface SummaryContainer {
  readonly name: string;
  readonly startTime?: string;
  readonly cpu?: SummaryCpu;
  readonly memory?: SummaryMemory;
}

/** SummaryPod is one pod in the Summary. */
export interface SummaryPod {
  readonly podRef: { readonly name: string; readonly namespace: string; readonly uid?: string };
  readonly containers?: readonly SummaryContainer[];
}

/** KubeletSummary is the Summary document. */
export interface KubeletSummary {
  readonly node: { readonly nodeName: string; readonly startTime?: string; readonly cpu?: SummaryCpu; readonly memory?: SummaryMemory };
  readonly pods?: readonly SummaryPod[];
}

/** KubeletTls is how the metrics server authenticates to kubelets (client certificate) and trusts them (the CA). */
export interface KubeletTls {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** KubeletAddress is where one node's kubelet listens; `host` is bracketed for IPv6. */
export interface KubeletAddress {
  readonly host: string;
  readonly port: number;
}

/** SummaryFetcher reads one node's Summary; rejects with a one-line reason when it cannot. */
export type SummaryFetcher = (address: KubeletAddress, signal: AbortSignal) => Promise<KubeletSummary>;

/** MAX_SUMMARY_BYTES bounds a Summary body; a node with thousands of pods stays far below it. */
const MAX_SUMMARY_BYTES = 32 * 1024 * 1024;

/**
 * httpsSummaryFetcher fetches `/stats/summary` over HTTPS with the client certificate, pinning the cluster CA (the
 * kubelet's serving certificate names an IP the request may reach by another path, so the host name is not
 * checked, as for the API server's own kubelet calls). `timeoutMs` bounds the whole exchange.
 */
export function httpsSummaryFetcher(tls: KubeletTls, timeoutMs: number): SummaryFetcher {
  return (address, signal) =>
    new Promise<KubeletSummary>((resolve, reject) => {
      const req = request(
        {
          host: address.host.replace(/^\[|\]$/g, ''),
          port: address.port,
          path: '/stats/summary?only_cpu_and_memory=true',
          method: 'GET',
          ca: tls.caPem,
          cert: tls.certPem,
          key: tls.keyPem,
          checkServerIdentity: () => undefined,
          headers: { Accept: 'application/json' },
          signal,
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_SUMMARY_BYTES) req.destroy(new Error(`the Summary is larger than ${MAX_SUMMARY_BYTES} bytes`));
            else chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) return reject(new Error(`the kubelet answered ${res.statusCode ?? 0}: ${text.slice(0, 200).trim()}`));
            try {
              resolve(JSON.parse(text) as KubeletSummary);
            } catch {
              reject(new Error('the kubelet answered a Summary that is not JSON'));
            }
          });
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
}
