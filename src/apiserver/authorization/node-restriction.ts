/**
 * NodeRestriction (admission plugin, upstream's name): limits what a kubelet credential may write beyond what
 * NodeAuthorizer already checked from the URL, by looking at the objects themselves.
 *
 *   - pods: create only mirror pods (annotation `kubernetes.io/config.mirror`) bound to the node; update status,
 *     delete and evict only pods bound to the node;
 *   - nodes: create and update only its own Node;
 *   - leases: only its own in kube-node-lease.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../admission/admission.js';
import { admissionForbidden } from '../admission/admission-forbidden.js';
import { NODE_LEASE_NAMESPACE, nodeNameOf } from './node-authorizer.js';

/** MIRROR_POD_ANNOTATION marks pods a kubelet mirrors from static manifests. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

function nodeNameOfPod(pod: KubeObject | undefined): string {
  const spec = pod?.spec as { nodeName?: string } | undefined;
  return spec?.nodeName ?? '';
}

/** NodeRestriction implements the admission plugin. */
export class NodeRestriction implements AdmissionPlugin {
  readonly name = 'NodeRestriction';

  handles(a: AdmissionAttributes): boolean {
    return nodeNameOf(a.user) !== undefined;
  }

  validate(a: AdmissionAttributes): void {
    const node = nodeNameOf(a.user);
    if (node === undefined) return;
    if (a.group === '' && a.resource === 'pods') return this.#pods(a, node);
    if (a.group === '' && a.resource === 'nodes') {
      if (a.operation === 'DELETE') return;
      if (a.name !== node) throw admissionForbidden(a, `node "${node}" is not allowed to modify node "${a.name}"`);
      return;
    }
    if (a.group === 'coordination.k8s.io' && a.resource === 'leases') {
      if (a.namespace !== NODE_LEASE_NAMESPACE || a.name !== node) throw admissionForbidden(a, 'can only access node lease with the same name as the requesting node');
    }
  }

  #pods(a: AdmissionAttributes, node: string): void {
    switch (a.subresource) {
      case '':
        if (a.operation === 'CREATE') {
          if (a.object?.metadata?.annotations?.[MIRROR_POD_ANNOTATION] === undefined) {
            throw admissionForbidden(a, `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${node}" can only create mirror pods`);
          }
          if (nodeNameOfPod(a.object) !== node) throw admissionForbidden(a, `node "${node}" can only create pods with spec.nodeName set to itself`);
          return;
        }
        if (a.operation === 'DELETE') {
          if (nodeNameOfPod(a.oldObject) !== node) throw admissionForbidden(a, `node "${node}" can only delete pods with spec.nodeName set to itself`);
          return;
        }
        throw admissionForbidden(a, `node "${node}" can only create and delete pods`);
      case 'status':
        if (nodeNameOfPod(a.oldObject) !== node) throw admissionForbidden(a, `node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
        return;
      case 'eviction':
        if (a.oldObject && nodeNameOfPod(a.oldObject) !== node) throw admissionForbidden(a, `node "${node}" can only evict pods with spec.nodeName set to itself`);
        return;
      default:
        throw admissionForbidden(a, `unexpected operation ${a.operation}, subresource ${a.subresource}`);
    }
  }
}
