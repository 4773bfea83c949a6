/**
 * What `kubeadm init`'s "bootstrap-token" phase sets up, done by `tkube server` at every start (idempotent):
 *  - ConfigMap `kube-public/cluster-info` whose `kubeconfig` names the advertised server URL and the cluster CA
 *    (no credentials). The bootstrapsigner controller adds one `jws-kubeconfig-<id>` per signing token.
 *  - RBAC as kubeadm makes it: `system:anonymous` may get that one ConfigMap (Role and RoleBinding
 *    `kubeadm:bootstrap-signer-clusterinfo`); tokens of group `system:bootstrappers:kubeadm:default-node-token`
 *    may create CSRs (`kubeadm:kubelet-bootstrap`) and have their node client CSRs auto-approved
 *    (`kubeadm:node-autoapprove-bootstrap`); nodes may renew their own client certificate
 *    (`kubeadm:node-autoapprove-certificate-rotation`).
 * Objects that exist are left as they are (an admin may have edited the RBAC); cluster-info's kubeconfig is
 * rewritten when the server URL or CA changed.
 */
import { stringify } from 'yaml';
import { CLUSTER_INFO_KUBECONFIG_KEY, CLUSTER_INFO_NAME, CLUSTER_INFO_NAMESPACE } from '../api/bootstrap/bootstrap-token.js';
import type { KubeObject } from '../api/meta/types.js';
import { isAlreadyExists, isNotFound } from '../client/api-error.js';
import type { RestClient } from '../client/rest-client.js';
import { DEFAULT_NODE_TOKEN_GROUP } from './bootstrap-token.js';

const CONFIG_MAPS = { version: 'v1', resource: 'configmaps' } as const;
const RBAC = 'rbac.authorization.k8s.io';
const RBAC_API = `${RBAC}/v1`;

/** clusterInfoKubeconfig is the kubeconfig text cluster-info carries: one unnamed cluster, no users (as kubeadm's). */
export function clusterInfoKubeconfig(server: string, caPem: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: '', cluster: { 'certificate-authority-data': Buffer.from(caPem).toString('base64'), server } }],
    contexts: [],
    'current-context': '',
    preferences: {},
    users: [],
  });
}

const subject = (kind: 'User' | 'Group', name: string): Record<string, string> => ({ kind, apiGroup: RBAC, name });

/** JOIN_RBAC are the objects kubeadm creates for token join, with the resource each is created in. */
const JOIN_RBAC: readonly { resource: string; namespace?: string; object: KubeObject }[] = [
  {
    resource: 'roles',
    namespace: CLUSTER_INFO_NAMESPACE,
    object: {
      apiVersion: RBAC_API,
      kind: 'Role',
      metadata: { name: 'kubeadm:bootstrap-signer-clusterinfo', namespace: CLUSTER_INFO_NAMESPACE },
      rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: [CLUSTER_INFO_NAME] }],
    },
  },
  {
    resource: 'rolebindings',
    namespace: CLUSTER_INFO_NAMESPACE,
    object: {
      apiVersion: RBAC_API,
      kind: 'RoleBinding',
      metadata: { name: 'kubeadm:bootstrap-signer-clusterinfo', namespace: CLUSTER_INFO_NAMESPACE },
      roleRef: { apiGroup: RBAC, kind: 'Role', name: 'kubeadm:bootstrap-signer-clusterinfo' },
      subjects: [subject('User', 'system:anonymous')],
    },
  },
  ...(
    [
      ['kubeadm:kubelet-bootstrap', 'system:node-bootstrapper', DEFAULT_NODE_TOKEN_GROUP],
      ['kubeadm:node-autoapprove-bootstrap', 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', DEFAULT_NODE_TOKEN_GROUP],
      ['kubeadm:node-autoapprove-certificate-rotation', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', 'system:nodes'],
    ] as const
  ).map(([name, role, group]) => ({
    resource: 'clusterrolebindings',
    object: { apiVersion: RBAC_API, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role }, subjects: [subject('Group', group)] },
  })),
];

/** publishClusterInfo creates or refreshes cluster-info and creates the missing join RBAC objects. */
export async function publishClusterInfo(client: RestClient, o: { server: string; caPem: string }): Promise<void> {
  for (const { resource, namespace, object } of JOIN_RBAC) {
    try {
      await client.create({ group: RBAC, version: 'v1', resource, ...(namespace ? { namespace } : {}) }, object);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  const kubeconfig = clusterInfoKubeconfig(o.server, o.caPem);
  const path = { ...CONFIG_MAPS, namespace: CLUSTER_INFO_NAMESPACE, name: CLUSTER_INFO_NAME };
  let current: (KubeObject & { data?: Record<string, string> }) | undefined;
  try {
    current = await client.get(path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!current) {
    await client.create({ ...CONFIG_MAPS, namespace: CLUSTER_INFO_NAMESPACE }, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: CLUSTER_INFO_NAME, namespace: CLUSTER_INFO_NAMESPACE },
      data: { [CLUSTER_INFO_KUBECONFIG_KEY]: kubeconfig },
    });
    return;
  }
  // The old signatures no longer match the new content; bootstrapsigner re-signs on the update.
  if (current.data?.[CLUSTER_INFO_KUBECONFIG_KEY] !== kubeconfig) await client.update(path, { ...current, data: { ...current.data, [CLUSTER_INFO_KUBECONFIG_KEY]: kubeconfig } });
}
