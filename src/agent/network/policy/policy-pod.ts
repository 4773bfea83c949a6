/**
 * PolicyPod and PolicyNamespace: what NetworkPolicy enforcement needs of pods and namespaces, read from the API
 * objects. Pods without an IP yet and finished pods (their address may already be someone else's) are left out.
 * Pods on the host network take part as peers only, by their address — the node's — so a policy selecting one
 * (kube-dns's mirror pod, say) allows traffic to or from that node, as Calico and Cilium treat them; they are
 * never isolated (upstream leaves host-network pods outside NetworkPolicy).
 */
import { NAMESPACE_NAME_LABEL } from '../../../api/defaults/core.js';
import type { KubeObject } from '../../../api/meta/types.js';
import type { PolicyProtocol } from './network-policy.js';

/** ContainerPortRef is a container port as named ports are resolved against. */
export interface ContainerPortRef {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol: PolicyProtocol;
}

/** PolicyPod is a pod on the pod network. */
export interface PolicyPod {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
  /** The pod's IPv6 address on a dual-stack cluster (`status.podIPs`): its address in the `ip6` policy table. */
  readonly ip6?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ports: readonly ContainerPortRef[];
  /** The node the pod runs on (`spec.nodeName`). */
  readonly nodeName: string;
  /** `spec.hostNetwork`: the address is the node's; a peer, never a target. */
  readonly hostNetwork: boolean;
}

/** PolicyNamespace is a namespace and its labels. */
export interface PolicyNamespace {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

interface PodShape extends KubeObject {
  spec?: { nodeName?: string; hostNetwork?: boolean; containers?: { ports?: { name?: string; containerPort?: number; protocol?: string }[] }[] };
  status?: { phase?: string; podIP?: string; podIPs?: { ip?: string }[] };
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** policyPodOf reads a Pod object; undefined when the pod has no address yet or has finished. */
export function policyPodOf(obj: KubeObject): PolicyPod | undefined {
  const pod = obj as PodShape;
  const namespace = pod.metadata?.namespace;
  const name = pod.metadata?.name;
  if (!namespace || !name) return undefined;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return undefined;
  const ip = pod.status?.podIPs?.map((p) => p.ip ?? '').find((a) => IPV4.test(a)) ?? pod.status?.podIP ?? '';
  if (!IPV4.test(ip)) return undefined;
  const ports: ContainerPortRef[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (typeof p.containerPort !== 'number') continue;
      const protocol = p.protocol === 'UDP' || p.protocol === 'SCTP' ? p.protocol : 'TCP';
      ports.push({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol });
    }
  }
  const ip6 = pod.status?.podIPs?.map((p) => p.ip ?? '').find((a) => a.includes(':'));
  return { namespace, name, ip, ...(ip6 ? { ip6 } : {}), labels: pod.metadata?.labels ?? {}, ports, nodeName: pod.spec?.nodeName ?? '', hostNetwork: pod.spec?.hostNetwork === true };
}

/**
 * policyNamespaceOf reads a Namespace object. Its `kubernetes.io/metadata.name` label is added when missing (the
 * API server sets it on every namespace; an object from elsewhere may lack it), since policies select by it.
 */
export function policyNamespaceOf(obj: KubeObject): PolicyNamespace | undefined {
  const name = obj.metadata?.name;
  if (!name) return undefined;
  return { name, labels: { ...obj.metadata?.labels, [NAMESPACE_NAME_LABEL]: name } };
}
