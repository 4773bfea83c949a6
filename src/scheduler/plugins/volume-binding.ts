/**
 * VolumeBinding (minimal, upstream's plugin of that name): a pod's PersistentVolumeClaims decide where it may go.
 *  - A claim that does not exist, or is being deleted, makes the pod unschedulable on every node.
 *  - A bound claim's volume may carry node affinity (a local volume): only matching nodes fit.
 *  - An unbound claim of a `WaitForFirstConsumer` class fits every node: the scheduler then records the chosen
 *    node on the claim (`volume.kubernetes.io/selected-node`) before binding the pod, and the provisioner makes a
 *    volume there. An unbound claim of any other class waits for the PV controller to bind it.
 * Upstream also waits for provisioning to finish before binding the pod; here the node agent waits instead (it
 * mounts the volume once the claim is bound).
 */
import { anyTermMatches, type NodeSelectorTerm } from '../../api/core/node-selector.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { Pod } from '../framework/objects.js';
import type { FilterPlugin } from '../framework/plugin.js';
import { SUCCESS, unresolvable } from '../framework/status.js';

/** ERR_VOLUME_NODE_CONFLICT and ERR_UNBOUND_IMMEDIATE are upstream's reason texts. */
export const ERR_VOLUME_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';

/** VolumeLookup reads claims, volumes and classes from the scheduler's informers. */
export interface VolumeLookup {
  claim(namespace: string, name: string): KubeObject | undefined;
  volume(name: string): KubeObject | undefined;
  storageClass(name: string): KubeObject | undefined;
}

/** PodClaims is what a pod's claims require, computed once per cycle. */
interface PodClaims {
  /** A reason no node can fit (missing claim, unbound immediate claim). */
  readonly blocked?: string;
  /** Node selector terms of bound volumes (each must match). */
  readonly affinities: readonly (readonly NodeSelectorTerm[])[];
  /** Unbound WaitForFirstConsumer claims, to be given the chosen node. */
  readonly delayed: readonly KubeObject[];
}

/** podClaimNames lists the claims a pod mounts. */
export function podClaimNames(pod: Pod): string[] {
  return (pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : []));
}

/** examineClaims reads what a pod's claims require (see the file comment). */
export function examineClaims(pod: Pod, lookup: VolumeLookup): PodClaims {
  const affinities: (readonly NodeSelectorTerm[])[] = [];
  const delayed: KubeObject[] = [];
  const namespace = pod.metadata?.namespace ?? '';
  for (const name of podClaimNames(pod)) {
    const claim = lookup.claim(namespace, name);
    if (!claim) return { blocked: `persistentvolumeclaim "${name}" not found`, affinities, delayed };
    if (claim.metadata?.deletionTimestamp) return { blocked: `persistentvolumeclaim "${name}" is being deleted`, affinities, delayed };
    const volumeName = (claim['spec'] as { volumeName?: string } | undefined)?.volumeName;
    if (volumeName) {
      const pv = lookup.volume(volumeName);
      if (!pv) return { blocked: `persistentvolume "${volumeName}" not found`, affinities, delayed };
      const terms = (pv['spec'] as { nodeAffinity?: { required?: { nodeSelectorTerms?: NodeSelectorTerm[] } } } | undefined)?.nodeAffinity?.required?.nodeSelectorTerms;
      if (terms && terms.length > 0) affinities.push(terms);
      continue;
    }
    const className = (claim['spec'] as { storageClassName?: string } | undefined)?.storageClassName ?? '';
    const sc = className === '' ? undefined : lookup.storageClass(className);
    if (sc?.['volumeBindingMode'] === 'WaitForFirstConsumer') delayed.push(claim);
    else return { blocked: ERR_UNBOUND_IMMEDIATE, affinities, delayed };
  }
  return { affinities, delayed };
}

/** volumeBindingFilter builds the filter over a lookup. */
export function volumeBindingFilter(lookup: VolumeLookup): FilterPlugin {
  return {
    name: 'VolumeBinding',
    skip: (pod) => podClaimNames(pod).length === 0,
    filter(pod, node, state) {
      const claims = state.read('VolumeBinding', () => examineClaims(pod, lookup));
      if (claims.blocked) return unresolvable(claims.blocked);
      if (!node.node) return SUCCESS;
      for (const terms of claims.affinities) if (!anyTermMatches(terms, node.node)) return unresolvable(ERR_VOLUME_NODE_CONFLICT);
      return SUCCESS;
    },
  };
}
