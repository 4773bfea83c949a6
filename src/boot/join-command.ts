/**
 * joinCommandFor: the one line `tkube token create` and `tkube init` print for a new node, as kubeadm's
 * `--print-join-command`: `tkube join <server> --token <token> --discovery-token-ca-cert-hash sha256:<hex>`. The
 * server and CA come from `kube-public/cluster-info` (what the joining node will read and check), falling back to
 * the caller's own connection when the ConfigMap is missing.
 */
import { parse } from 'yaml';
import { CLUSTER_INFO_KUBECONFIG_KEY, CLUSTER_INFO_NAME, CLUSTER_INFO_NAMESPACE } from '../api/bootstrap/bootstrap-token.js';
import { isNotFound } from '../client/api-error.js';
import type { RestClient } from '../client/rest-client.js';
import { publicKeyHashOf } from '../pki/certificate-authority.js';

/** joinCommandFor builds the join command for `token`, asking the API through `client` (admin). */
export async function joinCommandFor(client: RestClient, token: string, fallbackServer: string): Promise<string> {
  let server = fallbackServer;
  let caPem = client.caPem;
  try {
    const cm = (await client.get({ version: 'v1', resource: 'configmaps', namespace: CLUSTER_INFO_NAMESPACE, name: CLUSTER_INFO_NAME })) as { data?: Record<string, string> };
    const kc = parse(cm.data?.[CLUSTER_INFO_KUBECONFIG_KEY] ?? '') as { clusters?: { cluster?: Record<string, unknown> }[] } | null;
    const cluster = kc?.clusters?.[0]?.cluster ?? {};
    if (typeof cluster['server'] === 'string') server = cluster['server'];
    if (typeof cluster['certificate-authority-data'] === 'string') caPem = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8');
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!caPem) throw new Error('Cannot print a join command: the cluster CA is unknown (the kubeconfig has no certificate-authority data)');
  return `tkube join ${server} --token ${token} --discovery-token-ca-cert-hash ${publicKeyHashOf(caPem)}`;
}
