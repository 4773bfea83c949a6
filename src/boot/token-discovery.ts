/**
 * Token discovery, as `kubeadm join --token T --discovery-token-ca-cert-hash sha256:H` does it, with one change:
 * every way it can fail ends at once with one line saying which and what to do (upstream retries silently).
 *
 *  1. The token must look like `[a-z0-9]{6}.[a-z0-9]{16}`: checked before any network traffic.
 *  2. `kube-public/cluster-info` is read anonymously without checking the server's certificate (we do not know
 *     the CA yet). Its kubeconfig names the server and the CA.
 *  3. The CA's public-key hash must be one of the pinned hashes: then the CA is the cluster's, whoever answered.
 *  4. The `jws-kubeconfig-<token-id>` signature must verify with the token: then the ConfigMap came from someone
 *     holding the token (the cluster), so a man in the middle cannot hand us its own server and CA.
 *  5. When the signature is missing or wrong, we tell apart — only when the CA is pinned, so the token goes to the
 *     real cluster and nowhere else — a token the server does not know (401), one that expired (401 whose message
 *     names the expiry: the server says so only to a caller holding the token's secret), and a valid token whose
 *     signature the bootstrapsigner has not written yet (wait for it a little).
 * With `unsafeSkipCaVerification` step 3 is skipped and step 4 is the only protection (as upstream).
 */
import { request as httpsRequest } from 'node:https';
import { parse } from 'yaml';
import { BOOTSTRAP_TOKEN_FORMAT, CLUSTER_INFO_KUBECONFIG_KEY, CLUSTER_INFO_NAME, CLUSTER_INFO_NAMESPACE, JWS_KEY_PREFIX } from '../api/bootstrap/bootstrap-token.js';
import { detachedSignatureValid } from '../api/bootstrap/detached-jws.js';
import { RealClock, type Clock } from '../base/clock/clock.js';
import { publicKeyHashOf } from '../pki/certificate-authority.js';

/** DiscoveryRequest is what `tkube join` was given. */
export interface DiscoveryRequest {
  /** `https://host:port` or `host:port` (kubeadm's form). */
  readonly server: string;
  readonly token: string;
  /** `sha256:<64 hex>` each; at least one unless unsafeSkipCaVerification. */
  readonly caCertHashes: readonly string[];
  readonly unsafeSkipCaVerification: boolean;
  /** How long to keep trying to reach an unreachable server. @default 10 s */
  readonly timeoutMs?: number;
  /** How long a token without a signature in cluster-info may wait for bootstrapsigner to write it. @default 3 s */
  readonly signatureWaitMs?: number;
  /** @default the real clock */
  readonly clock?: Clock;
}

/** DiscoveryResult is the trusted cluster (server URL and CA), or why there is none. */
export type DiscoveryResult = { readonly ok: true; readonly server: string; readonly caPem: string; readonly caCertHash: string } | { readonly ok: false; readonly message: string };

const CA_HASH_FORMAT = /^sha256:[0-9a-f]{64}$/;
const CREATE_HINT = 'create one with `tkube token create` on the server';

interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** normaliseServer turns `host:port` into `https://host:port` and drops a trailing slash. */
export function normaliseServer(server: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(server) ? server : `https://${server}`;
  return withScheme.replace(/\/+$/, '');
}

function get(url: string, o: { caPem?: string; token?: string; timeoutMs: number }): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: 'GET',
        headers: { Accept: 'application/json', 'User-Agent': 'tkube-join', ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}) },
        timeout: o.timeoutMs,
        // Before the CA is known, the answer is judged by its content (hash and signature), not by the TLS chain.
        ...(o.caPem ? { ca: o.caPem } : { rejectUnauthorized: false }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

function statusMessage(body: string): string {
  try {
    const s = JSON.parse(body) as { message?: unknown };
    return typeof s.message === 'string' ? s.message : body.trim();
  } catch {
    return body.trim();
  }
}

interface ClusterInfo {
  readonly data: Record<string, string>;
  readonly server: string;
  readonly caPem: string;
}

async function fetchClusterInfo(server: string, deadline: number, clock: Clock): Promise<ClusterInfo | { message: string }> {
  const url = `${server}/api/v1/namespaces/${CLUSTER_INFO_NAMESPACE}/configmaps/${CLUSTER_INFO_NAME}`;
  let answer: HttpAnswer | undefined;
  let lastError = '';
  // Only an unreachable server is retried (it may be starting); every answer is final.
  while (!answer) {
    try {
      answer = await get(url, { timeoutMs: Math.max(1000, Math.min(5000, deadline - clock.now())) });
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      if (clock.now() >= deadline) return { message: `cannot reach the API server at ${server}: ${lastError}` };
      await clock.sleep(250);
    }
  }
  if (answer.status === 404) return { message: `the server at ${server} publishes no ${CLUSTER_INFO_NAMESPACE}/${CLUSTER_INFO_NAME} ConfigMap: is it a tkube server (or a kubeadm control plane)?` };
  if (answer.status !== 200) return { message: `the server at ${server} refused to show ${CLUSTER_INFO_NAMESPACE}/${CLUSTER_INFO_NAME} (HTTP ${answer.status}): ${statusMessage(answer.body)}` };
  let data: Record<string, string>;
  let server2: unknown;
  let caData: unknown;
  try {
    data = ((JSON.parse(answer.body) as { data?: Record<string, string> }).data ?? {});
    const kc = parse(data[CLUSTER_INFO_KUBECONFIG_KEY] ?? '') as { clusters?: { cluster?: Record<string, unknown> }[] } | null;
    const cluster = kc?.clusters?.[0]?.cluster ?? {};
    server2 = cluster['server'];
    caData = cluster['certificate-authority-data'];
  } catch {
    return { message: `the ${CLUSTER_INFO_NAME} ConfigMap at ${server} is not readable JSON/YAML` };
  }
  if (typeof server2 !== 'string' || typeof caData !== 'string') return { message: `the ${CLUSTER_INFO_NAME} ConfigMap at ${server} names no server or CA` };
  return { data, server: server2, caPem: Buffer.from(caData, 'base64').toString('utf8') };
}

/**
 * tokenStanding asks the (trusted) server whether the token authenticates: "valid", or the message to show.
 * GET /api needs an authenticated user, so a bad token gets 401 — with the expiry named if the token expired.
 */
async function tokenStanding(server: string, caPem: string, token: string, id: string): Promise<'valid' | { message: string }> {
  let answer: HttpAnswer;
  try {
    answer = await get(`${server}/api`, { caPem, token, timeoutMs: 5000 });
  } catch (err) {
    return { message: `cannot reach the API server at ${server} with its verified CA: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (answer.status === 200) return 'valid';
  if (answer.status === 401) {
    const expired = / expired at (\S+)/.exec(statusMessage(answer.body));
    if (expired) return { message: `token ${id} expired at ${expired[1] ?? ''}: ${CREATE_HINT.replace('one', 'a new one')}` };
    return { message: `token ${id} is not known to the server: ${CREATE_HINT}` };
  }
  return { message: `the server at ${server} answered HTTP ${answer.status} to token ${id}: ${statusMessage(answer.body)}` };
}

/** discoverCluster runs token discovery; see the file comment for the steps. Never throws. */
export async function discoverCluster(r: DiscoveryRequest): Promise<DiscoveryResult> {
  const m = BOOTSTRAP_TOKEN_FORMAT.exec(r.token);
  if (!m) return { ok: false, message: 'the token is malformed: a join token looks like abcdef.0123456789abcdef ([a-z0-9]{6}.[a-z0-9]{16}); `tkube token create` on the server prints one' };
  const [, id = '', secret = ''] = m;
  const pins = r.caCertHashes.map((h) => h.trim().toLowerCase());
  const badPin = pins.find((h) => !CA_HASH_FORMAT.test(h));
  if (badPin !== undefined) return { ok: false, message: `invalid --discovery-token-ca-cert-hash "${badPin}": want sha256:<64 hex digits>` };
  if (pins.length === 0 && !r.unsafeSkipCaVerification) {
    return { ok: false, message: 'give --discovery-token-ca-cert-hash sha256:<hash> (the join command `tkube token create` prints carries it), or --discovery-token-unsafe-skip-ca-verification to trust the token alone' };
  }
  const server = normaliseServer(r.server);
  if (!server.startsWith('https://')) return { ok: false, message: `invalid server "${r.server}": want https://host:port or host:port` };
  const clock = r.clock ?? new RealClock();
  const deadline = clock.now() + (r.timeoutMs ?? 10_000);
  let signatureDeadline: number | undefined;
  for (;;) {
    const info = await fetchClusterInfo(server, deadline, clock);
    if ('message' in info) return { ok: false, message: info.message };
    let hash: string;
    try {
      hash = publicKeyHashOf(info.caPem);
    } catch {
      return { ok: false, message: `the CA in ${CLUSTER_INFO_NAME} at ${server} is not a certificate` };
    }
    const pinned = pins.length > 0;
    if (pinned && !pins.includes(hash)) {
      return { ok: false, message: `refusing to join: the cluster CA at ${server} has public key hash ${hash}, but --discovery-token-ca-cert-hash says ${pins.join(', ')} (a wrong hash, or someone between you and the server)` };
    }
    const signature = info.data[`${JWS_KEY_PREFIX}${id}`];
    const content = info.data[CLUSTER_INFO_KUBECONFIG_KEY] ?? '';
    if (signature !== undefined && detachedSignatureValid(signature, content, id, secret)) return { ok: true, server: info.server, caPem: info.caPem, caCertHash: hash };
    signatureDeadline ??= clock.now() + (r.signatureWaitMs ?? 3000);
    if (!pinned) {
      // Without a pinned CA the token must not go to a server we cannot trust: judge from the ConfigMap alone.
      if (signature !== undefined) return { ok: false, message: `the ${CLUSTER_INFO_NAME} signature for token ${id} does not verify: the token is wrong, or the server is not the cluster's` };
      if (clock.now() >= signatureDeadline) return { ok: false, message: `${CLUSTER_INFO_NAME} at ${server} carries no signature for token ${id}: the token is unknown to the server or expired (\`tkube token list\` on the server shows its tokens)` };
    } else {
      // The CA is the cluster's: ask it about the token over a verified connection.
      const standing = await tokenStanding(server, info.caPem, r.token, id);
      if (standing !== 'valid') return { ok: false, message: standing.message };
      if (clock.now() >= signatureDeadline) return { ok: false, message: `token ${id} is valid but ${CLUSTER_INFO_NAME} carries no signature for it: does it have usage "signing", and is the bootstrapsigner controller running?` };
    }
    // A token created a moment ago: its signature is on its way.
    await clock.sleep(200);
  }
}
