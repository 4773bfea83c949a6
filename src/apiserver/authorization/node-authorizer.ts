/**
 * NodeAuthorizer: what a kubelet's credential (user `system:node:<name>`, group `system:nodes`) may do, as
 * upstream's Node authorizer.
 *
 *   - secrets, configmaps, persistentvolumeclaims, serviceaccounts (get, and serviceaccounts/token create): only
 *     objects referenced by a pod bound to the node;
 *   - pods: read; get by name, status writes, deletes and evictions only of pods bound to the node;
 *   - nodes: read any, write only its own Node (NodeRestriction checks creates against the object too);
 *   - leases in kube-node-lease: only its own;
 *   - the other rules of the `system:node` ClusterRole as they are (events, CSRs, tokenreviews…).
 * It has no opinion about other users (the chain asks RBAC first).
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { RequestInfo, UserInfo } from '../request/request-info.js';
import type { AuthorizationDecision, Authorizer } from '../filters/authorization.js';
import { BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy.js';
import { ruleAllows, type PolicyRule } from './policy-rule.js';
import { ruleRequestOf } from './rbac-authorizer.js';

/** NODES_GROUP is the group of every kubelet credential. */
export const NODES_GROUP = 'system:nodes';
/** NODE_USER_PREFIX starts every kubelet user name. */
export const NODE_USER_PREFIX = 'system:node:';
/** NODE_LEASE_NAMESPACE holds the nodes' heartbeat Leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** nodeNameOf returns the node a credential belongs to, or undefined when the user is not a node. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.username.startsWith(NODE_USER_PREFIX)) return undefined;
  const name = user.username.slice(NODE_USER_PREFIX.length);
  return name === '' ? undefined : name;
}

/** NodeGraph is what the authorizer needs to know about pods (read from the pods watch cache). */
export interface NodeGraph {
  /** The pods whose spec.nodeName is the node. */
  podsOnNode(node: string): Promise<readonly KubeObject[]>;
  /** One pod, or undefined. */
  pod(namespace: string, name: string): Promise<KubeObject | undefined>;
}

interface PodSpecLike {
  nodeName?: string;
  serviceAccountName?: string;
  volumes?: {
    secret?: { secretName?: string };
    configMap?: { name?: string };
    persistentVolumeClaim?: { claimName?: string };
    projected?: { sources?: { secret?: { name?: string }; configMap?: { name?: string } }[] };
    ephemeral?: unknown;
  }[];
  imagePullSecrets?: { name?: string }[];
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  ephemeralContainers?: ContainerLike[];
}
interface ContainerLike {
  env?: { valueFrom?: { secretKeyRef?: { name?: string }; configMapKeyRef?: { name?: string } } }[];
  envFrom?: { secretRef?: { name?: string }; configMapRef?: { name?: string } }[];
}

/** podReferences lists the names of the objects of one resource a pod references. */
export function podReferences(pod: KubeObject, resource: string): Set<string> {
  const spec = (pod.spec ?? {}) as PodSpecLike;
  const out = new Set<string>();
  const add = (n: string | undefined): void => {
    if (n) out.add(n);
  };
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])];
  switch (resource) {
    case 'secrets':
      for (const v of spec.volumes ?? []) {
        add(v.secret?.secretName);
        for (const s of v.projected?.sources ?? []) add(s.secret?.name);
      }
      for (const s of spec.imagePullSecrets ?? []) add(s.name);
      for (const c of containers) {
        for (const e of c.env ?? []) add(e.valueFrom?.secretKeyRef?.name);
        for (const e of c.envFrom ?? []) add(e.secretRef?.name);
      }
      break;
    case 'configmaps':
      for (const v of spec.volumes ?? []) {
        add(v.configMap?.name);
        for (const s of v.projected?.sources ?? []) add(s.configMap?.name);
      }
      for (const c of containers) {
        for (const e of c.env ?? []) add(e.valueFrom?.configMapKeyRef?.name);
        for (const e of c.envFrom ?? []) add(e.configMapRef?.name);
      }
      break;
    case 'persistentvolumeclaims':
      for (const v of spec.volumes ?? []) add(v.persistentVolumeClaim?.claimName);
      if (spec.volumes?.some((v) => v.ephemeral)) {
        // Generic ephemeral volumes' claims are named <pod>-<volume>.
        for (const v of spec.volumes) if (v.ephemeral) add(`${pod.metadata?.name ?? ''}-${(v as { name?: string }).name ?? ''}`);
      }
      break;
    case 'serviceaccounts':
      add(spec.serviceAccountName ?? 'default');
      break;
  }
  return out;
}

const GRAPH_RESOURCES = new Set(['secrets', 'configmaps', 'persistentvolumeclaims', 'serviceaccounts', 'persistentvolumes']);

/** The static rules of the node role: the `system:node` ClusterRole of the bootstrap policy. */
const NODE_RULES: readonly PolicyRule[] = (BOOTSTRAP_CLUSTER_ROLES.find((r) => r.metadata?.name === 'system:node')?.rules ?? []) as PolicyRule[];

function deny(reason: string): AuthorizationDecision {
  return { allowed: false, reason };
}

/** NodeAuthorizer implements Authorizer for kubelet credentials. */
export class NodeAuthorizer implements Authorizer {
  readonly #graph: NodeGraph;
  constructor(graph: NodeGraph) {
    this.#graph = graph;
  }

  async authorize(user: UserInfo, info: RequestInfo): Promise<AuthorizationDecision> {
    const node = nodeNameOf(user);
    if (node === undefined) return { allowed: false };
    if (!info.isResourceRequest || info.apiGroup !== '' && info.apiGroup !== 'coordination.k8s.io') return this.#static(info, node);
    if (info.apiGroup === '' && GRAPH_RESOURCES.has(info.resource)) return this.#graphDecision(info, node);
    if (info.apiGroup === '' && info.resource === 'pods') return this.#pods(info, node);
    if (info.apiGroup === '' && info.resource === 'nodes') {
      const write = !['get', 'list', 'watch'].includes(info.verb);
      if (write && info.verb !== 'create' && info.name !== node) return deny(`node '${node}' cannot modify node '${info.name}'`);
      return this.#static(info, node);
    }
    if (info.apiGroup === 'coordination.k8s.io' && info.resource === 'leases') {
      if (info.namespace !== NODE_LEASE_NAMESPACE || (info.verb !== 'create' && info.name !== node)) return deny(`can only access node lease with the same name as the requesting node`);
      return this.#static(info, node);
    }
    return this.#static(info, node);
  }

  #static(info: RequestInfo, node: string): AuthorizationDecision {
    const req = ruleRequestOf(info);
    return NODE_RULES.some((r) => ruleAllows(r, req)) ? { allowed: true } : deny(`node '${node}' is not allowed to ${info.verb} this resource`);
  }

  async #pods(info: RequestInfo, node: string): Promise<AuthorizationDecision> {
    // Collections and creates are checked by the static rules (creates again by NodeRestriction).
    if (info.name === '' || info.verb === 'create' && info.subresource === '') return this.#static(info, node);
    const pod = await this.#graph.pod(info.namespace, info.name);
    const bound = (pod?.spec as PodSpecLike | undefined)?.nodeName;
    if (bound !== node) return deny(`no relationship found between node '${node}' and this object`);
    return this.#static(info, node);
  }

  async #graphDecision(info: RequestInfo, node: string): Promise<AuthorizationDecision> {
    const tokenRequest = info.resource === 'serviceaccounts' && info.subresource === 'token' && info.verb === 'create';
    const read = info.subresource === '' && (info.verb === 'get' || ((info.verb === 'list' || info.verb === 'watch') && info.name !== ''));
    if (!tokenRequest && !read) return deny(`can only get individual resources of this type`);
    if (info.resource === 'persistentvolumes') return deny(`no relationship found between node '${node}' and this object`);
    for (const pod of await this.#graph.podsOnNode(node)) {
      if (pod.metadata?.namespace !== info.namespace) continue;
      if (podReferences(pod, info.resource).has(info.name)) return { allowed: true };
    }
    return deny(`no relationship found between node '${node}' and this object`);
  }
}
