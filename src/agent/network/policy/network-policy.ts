/**
 * The parts of a networking.k8s.io/v1 NetworkPolicy the node reads to enforce it. Field names are the API's;
 * everything is optional because the node reads what the API server stored (defaulted and validated there, but
 * an older object or another server may have skipped either), and `effectivePolicyTypes` re-applies upstream's
 * defaulting so the rules never depend on it.
 */
import type { LabelSelectorObject } from '../../../api/meta/labels.js';
import type { KubeObject } from '../../../api/meta/types.js';

/** PolicyProtocol is what `ports[].protocol` may say (TCP when absent). */
export type PolicyProtocol = 'TCP' | 'UDP' | 'SCTP';

/** NetworkPolicyPort: a port number or a named container port, optionally a range up to `endPort`. */
export interface NetworkPolicyPort {
  protocol?: PolicyProtocol;
  /** A number, or the name of a container port (resolved on the pods the traffic goes to). Absent: every port. */
  port?: number | string;
  /** With a numeric `port`: the last port of the range. */
  endPort?: number;
}

/** IPBlock: a CIDR minus some CIDRs inside it. */
export interface IPBlock {
  cidr: string;
  except?: string[];
}

/** NetworkPolicyPeer: pods (by pod and/or namespace labels) or an address block. */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelectorObject;
  namespaceSelector?: LabelSelectorObject;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyIngressRule {
  ports?: NetworkPolicyPort[];
  from?: NetworkPolicyPeer[];
}

export interface NetworkPolicyEgressRule {
  ports?: NetworkPolicyPort[];
  to?: NetworkPolicyPeer[];
}

export type PolicyType = 'Ingress' | 'Egress';

export interface NetworkPolicySpec {
  podSelector?: LabelSelectorObject;
  ingress?: NetworkPolicyIngressRule[];
  egress?: NetworkPolicyEgressRule[];
  policyTypes?: PolicyType[];
}

/** NetworkPolicy is the API object as the node reads it. */
export interface NetworkPolicy extends KubeObject {
  spec?: NetworkPolicySpec;
}

/**
 * effectivePolicyTypes: `spec.policyTypes` when set, else upstream's default — Ingress always, Egress only when
 * the policy has egress rules. A policy whose types omit a direction does not isolate pods in that direction,
 * whatever rules it lists.
 */
export function effectivePolicyTypes(spec: NetworkPolicySpec): ReadonlySet<PolicyType> {
  const listed = (spec.policyTypes ?? []).filter((t) => t === 'Ingress' || t === 'Egress');
  if (listed.length > 0) return new Set(listed);
  return new Set<PolicyType>((spec.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress']);
}
