/**
 * bootstrapNodeCredentials: the part of `tkube join` before the node runs — token discovery (token-discovery.ts)
 * then TLS bootstrap: with the bootstrap token, over a connection verified against the discovered CA, ask for a
 * node client certificate (CN=system:node:<name>, O=system:nodes) and write `<data-dir>/kubelet.kubeconfig`
 * with it. The node agent then runs with that kubeconfig, as the node itself rather than as the token.
 * Expected failures are values with one line to show; nothing here throws for bad input.
 */
import { join } from 'node:path';
import { clientCertificateFits, requestClientCertificate, rotateClientCertificate } from '../agent/certificate/client-certificate.js';
import { RealClock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import { ApiError } from '../client/api-error.js';
import { readKubeconfig, writeKubeconfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest-client.js';
import { DEFAULT_NODE_TOKEN_GROUP } from './bootstrap-token.js';
import { discoverCluster, type DiscoveryRequest } from './token-discovery.js';

/** NODE_KUBECONFIG is the file, in the node's data dir, holding its server, CA and client certificate. */
export const NODE_KUBECONFIG = 'kubelet.kubeconfig';

/** NodeJoinRequest is discovery's input plus the node to get credentials for. */
export interface NodeJoinRequest extends DiscoveryRequest {
  readonly nodeName: string;
  readonly dataDir: string;
  /** How long to wait for the client certificate. @default 60 s */
  readonly certificateTimeoutMs?: number;
  /** Told each phase as it starts (for progress lines). */
  readonly onPhase?: (phase: 'discovery' | 'tls-bootstrap', text: string) => void;
  readonly log: Logger;
}

/** NodeJoinResult is the kubeconfig written, or why joining cannot go on. */
export type NodeJoinResult = { readonly ok: true; readonly kubeconfig: string; readonly server: string; readonly caCertHash: string } | { readonly ok: false; readonly message: string };

/** bootstrapNodeCredentials discovers the cluster and gets the node its client certificate. */
export async function bootstrapNodeCredentials(r: NodeJoinRequest): Promise<NodeJoinResult> {
  r.onPhase?.('discovery', `Reading cluster-info from ${r.server} and checking it against the token and CA hash`);
  const found = await discoverCluster(r);
  if (!found.ok) return found;
  r.onPhase?.('tls-bootstrap', `Asking ${found.server} for a client certificate for node "${r.nodeName}" (CA ${found.caCertHash})`);
  const client = new RestClient({ server: found.server, caPem: found.caPem, token: r.token, userAgent: 'tkube-join' });
  try {
    const issued = await requestClientCertificate({ client, nodeName: r.nodeName, clock: new RealClock(), log: r.log.child('tls-bootstrap'), timeoutMs: r.certificateTimeoutMs ?? 60_000 });
    const kubeconfig = join(r.dataDir, NODE_KUBECONFIG);
    writeKubeconfig(kubeconfig, { name: 'tkube', server: found.server, caPem: found.caPem, clientCertPem: issued.certPem, clientKeyPem: issued.keyPem });
    return { ok: true, kubeconfig, server: found.server, caCertHash: found.caCertHash };
  } catch (err) {
    if (err instanceof ApiError && err.code === 403) {
      const id = r.token.slice(0, 6);
      return { ok: false, message: `token ${id} may not request node certificates (${err.message}): create the token with the group ${DEFAULT_NODE_TOKEN_GROUP}` };
    }
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  } finally {
    client.close();
  }
}

/**
 * rotateNodeKubeconfig keeps a node's client certificate fresh while it runs (`tkube agent --rotate-certificates`):
 * renewed at 80% of its lifetime through `client` (authenticated with it), switched into the client, and written
 * back to the kubeconfig so a restarted agent uses the new one. Undefined when the kubeconfig holds no client
 * certificate for the node (nothing to rotate).
 */
export function rotateNodeKubeconfig(client: RestClient, kubeconfig: string, nodeName: string, log: Logger): { stop(): void } | undefined {
  const kc = readKubeconfig(kubeconfig);
  const ctx = kc.contexts.find((c) => c.name === kc['current-context'])?.['context'] as { cluster?: string; user?: string } | undefined;
  const cluster = (kc.clusters.find((c) => c.name === ctx?.cluster)?.['cluster'] ?? {}) as Record<string, unknown>;
  const user = (kc.users.find((u) => u.name === ctx?.user)?.['user'] ?? {}) as Record<string, unknown>;
  const data = (v: unknown): string => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '');
  const certPem = data(user['client-certificate-data']);
  const server = cluster['server'];
  const caPem = data(cluster['certificate-authority-data']);
  if (!certPem || typeof server !== 'string' || !caPem || !clientCertificateFits(certPem, nodeName, Date.now())) return undefined;
  return rotateClientCertificate({
    client,
    nodeName,
    certPem,
    clock: new RealClock(),
    log: log.child('certificate'),
    onRotated: (issued) => writeKubeconfig(kubeconfig, { name: 'tkube', server, caPem, clientCertPem: issued.certPem, clientKeyPem: issued.keyPem }),
  });
}
