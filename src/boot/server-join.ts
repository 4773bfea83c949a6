/**
 * Joining a `--cluster-init` cluster as another server (`tkube server --server URL --token T`), as k3s's second
 * server does, before this server has a CA or a datastore:
 *  1. the CA from `kube-public/cluster-info` of URL, read anonymously without checking the TLS chain (nothing
 *     secret is sent; as k3s with a token that carries no CA hash, the first contact trusts what it is shown);
 *  2. with that CA and the token (a static admin token on every server), the bootstrap data from the Secret
 *     `kube-system/tkube-bootstrap`, sealed under the token (bootstrap-data.ts), adopted into the data dir;
 *  3. the etcd client URLs of the running members from the servers' identity Leases (apiserver-peers.ts).
 * Failures are one-line Errors naming the step. Given a wait, a first server that is still starting (unreachable,
 * or not yet publishing the bootstrap data or its member's URL) is asked again every second until the wait ends,
 * so servers may be started together; a refusal (wrong token) fails at once.
 */
import { request } from 'node:https';
import { parse as parseYaml } from 'yaml';

import type { KubeObject } from '../api/meta/types.js';
import { RestClient } from '../client/rest-client.js';
import { adopt, openBootstrapData, sealBootstrapData, BOOTSTRAP_FILES } from './bootstrap-data.js';
import { ETCD_ANNOTATION, IDENTITY_LABEL } from './apiserver-peers.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, isAlreadyExists, isNotFound } from '../client/api-error.js';
import type { Logger } from '../base/log/logger.js';

/** BOOTSTRAP_SECRET is where a `--cluster-init` cluster keeps its sealed bootstrap data for joining servers. */
const BOOTSTRAP_SECRET = { version: 'v1', resource: 'secrets', namespace: 'kube-system', name: 'tkube-bootstrap' } as const;

function fetchClusterInfo(server: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/api/v1/namespaces/kube-public/configmaps/cluster-info', server),
      { headers: { Accept: 'application/json' }, rejectUnauthorized: false, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode ?? 0}`))));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * readClusterCa reads the CA (PEM) from `kube-public/cluster-info` of `server`, without checking the TLS chain:
 * callers pin it (`tkube join --control-plane --discovery-token-ca-cert-hash`) or trust it on first use.
 */
export async function readClusterCa(server: string): Promise<string> {
  try {
    const cm = JSON.parse(await fetchClusterInfo(server)) as { data?: { kubeconfig?: string } };
    const kc = parseYaml(cm.data?.kubeconfig ?? '') as { clusters?: { cluster?: Record<string, string> }[] };
    const caPem = Buffer.from(kc.clusters?.[0]?.cluster?.['certificate-authority-data'] ?? '', 'base64').toString('utf8');
    if (!caPem.includes('BEGIN CERTIFICATE')) throw new Error('no CA in it');
    return caPem;
  } catch (err) {
    throw new Error(`Cannot join through ${server}: cannot read kube-public/cluster-info (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** mayPassLater: not found yet, no answer (code 0) or a server error, unlike a refusal (401/403) or a bad request. */
function mayPassLater(err: unknown): boolean {
  return isNotFound(err) || !(err instanceof ApiError) || err.code === 0 || err.code >= 500;
}

/** JoinAttempt is the outcome of one try: the members' URLs, or why not and whether trying again may help. */
type JoinAttempt = { readonly urls: string[] } | { readonly error: string; readonly retry: boolean };

async function tryJoin(server: string, token: string, dataDir: string): Promise<JoinAttempt> {
  let caPem: string;
  try {
    caPem = await readClusterCa(server);
  } catch (err) {
    // Unreachable, or up but not yet published: the first server may still be starting.
    return { error: err instanceof Error ? err.message : String(err), retry: true };
  }
  const client = new RestClient({ server, caPem, token, userAgent: 'tkube-server-join' });
  try {
    let secret: KubeObject;
    try {
      secret = await client.get(BOOTSTRAP_SECRET);
    } catch (err) {
      // Not published yet, or the server went away: may pass later. A refusal (401/403) will not.
      return { error: `Cannot join through ${server}: cannot read the bootstrap data (${err instanceof Error ? err.message : String(err)}; is it a --cluster-init server with the same --token?)`, retry: mayPassLater(err) };
    }
    const sealed = (secret['data'] as Record<string, string> | undefined)?.['bootstrap'] ?? '';
    const files = openBootstrapData(token, Buffer.from(sealed, 'base64'));
    if (!files) return { error: `Cannot join through ${server}: its bootstrap data does not decrypt with this --token`, retry: false };
    adopt(dataDir, files);
    const leases = await client.list({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-system' }, { labelSelector: `${IDENTITY_LABEL}=kube-apiserver` });
    const urls = leases.items.map((l) => l.metadata?.annotations?.[ETCD_ANNOTATION]).filter((u): u is string => typeof u === 'string' && u !== '');
    if (urls.length === 0) return { error: `Cannot join through ${server}: no server there runs an etcd member (start the first with --cluster-init)`, retry: true };
    return { urls };
  } catch (err) {
    return { error: `Cannot join through ${server}: ${err instanceof Error ? err.message : String(err)}`, retry: mayPassLater(err) };
  } finally {
    client.close();
  }
}

/**
 * joinClusterThrough adopts the cluster's CA and keys into `dataDir`; resolves with the etcd members' client URLs.
 * With `waitMs`, a cluster that is still starting is asked again every second until then.
 */
export async function joinClusterThrough(server: string, token: string, dataDir: string, wait: { readonly waitMs: number; readonly log?: Logger } = { waitMs: 0 }): Promise<string[]> {
  const deadline = Date.now() + wait.waitMs;
  let told = false;
  for (;;) {
    const r = await tryJoin(server, token, dataDir);
    if ('urls' in r) return r.urls;
    if (!r.retry || Date.now() >= deadline) throw new Error(r.error);
    if (!told) wait.log?.info('Waiting for the cluster to join', { server, why: r.error });
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** publishBootstrapSecret stores the sealed bootstrap data for joining servers (kept when it exists). */
export async function publishBootstrapSecret(client: RestClient, token: string, dataDir: string): Promise<void> {
  const files: Record<string, string> = {};
  for (const name of BOOTSTRAP_FILES) if (existsSync(join(dataDir, name))) files[name] = readFileSync(join(dataDir, name), 'utf8');
  const body: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: BOOTSTRAP_SECRET.name, namespace: BOOTSTRAP_SECRET.namespace },
    type: 'Opaque',
    data: { bootstrap: Buffer.from(sealBootstrapData(token, files)).toString('base64') },
  };
  try {
    await client.create({ version: 'v1', resource: 'secrets', namespace: 'kube-system' }, body);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}
