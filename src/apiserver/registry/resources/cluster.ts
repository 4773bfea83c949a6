/**
 * Strategies of cluster bookkeeping kinds: namespaces (with the `finalize` subresource), nodes (status may be
 * set on create, by the kubelet), events (field selectors for `kubectl describe`), priorityclasses and leases.
 */
import type { KubeObject } from '../../../api/meta/types.js';
import { defaultNamespace, defaultNode, defaultPriorityClass, ensureNamespaceFinalizer } from '../../../api/defaults/core.js';
import { nameIsDNSLabel } from '../../../api/validation/names.js';
import { child, obj, str } from '../../../api/validation/unstructured.js';
import {
  validateEvent,
  validateLease,
  validateNamespace,
  validateNode,
  validateNodeUpdate,
  validatePriorityClass,
  validatePriorityClassUpdate,
} from '../../../api/validation/validate-cluster.js';
import { leaseTable, priorityClassTable } from '../../printers/cluster.js';
import { namespaceTable } from '../../printers/config.js';
import { eventTable } from '../../printers/events.js';
import { nodeTable } from '../../printers/nodes.js';
import type { ResourceStrategy } from '../strategy.js';
import { keepAllButStatus, newResourceStrategy } from './resource-strategy.js';

/** namespaceStrategy: the `kubernetes` finalizer on create; spec.finalizers change only through `finalize`. */
export const namespaceStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: false,
  name: nameIsDNSLabel,
  statusSubresource: true,
  initialStatus: () => ({ phase: 'Active' }),
  defaults: defaultNamespace,
  prepareForCreate: ensureNamespaceFinalizer,
  prepareForUpdate(ns, old, ctx) {
    const oldFinalizers = structuredClone(obj(old['spec'])['finalizers']);
    if (ctx.subresource === 'finalize') {
      const finalizers = obj(ns['spec'])['finalizers'];
      keepAllButStatus(ns, old);
      ns['status'] = structuredClone(old['status']);
      child(ns, 'spec')['finalizers'] = finalizers;
    } else if (ctx.subresource === '') {
      const spec = child(ns, 'spec');
      if (oldFinalizers === undefined) delete spec['finalizers'];
      else spec['finalizers'] = oldFinalizers;
    }
  },
  validate: validateNamespace,
  selectableFields: (ns) => ({ 'status.phase': str(obj(ns['status'])['phase']) ?? '' }),
  table: namespaceTable,
  tracksGeneration: false,
});

/** nodeStrategy: clients (the kubelet) may set status on create. */
export const nodeStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: false,
  statusSubresource: true,
  initialStatus: null,
  defaults: defaultNode,
  validate: validateNode,
  validateUpdate: validateNodeUpdate,
  selectableFields: (node) => ({ 'spec.unschedulable': String(obj(node['spec'])['unschedulable'] === true) }),
  table: nodeTable,
  tracksGeneration: false,
});

/** eventSelectableFields are the field-selector values of an event. */
export function eventSelectableFields(ev: KubeObject): Record<string, string> {
  // Events written through events.k8s.io/v1 may be stored in that shape (regarding, reportingController).
  const io = obj(ev['involvedObject'] ?? ev['regarding']);
  const reporting = str(ev['reportingComponent']) ?? str(ev['reportingController']) ?? '';
  const source = str(obj(ev['source'] ?? ev['deprecatedSource'])['component']) || reporting;
  return {
    'involvedObject.kind': str(io['kind']) ?? '',
    'involvedObject.namespace': str(io['namespace']) ?? '',
    'involvedObject.name': str(io['name']) ?? '',
    'involvedObject.uid': str(io['uid']) ?? '',
    'involvedObject.apiVersion': str(io['apiVersion']) ?? '',
    'involvedObject.resourceVersion': str(io['resourceVersion']) ?? '',
    'involvedObject.fieldPath': str(io['fieldPath']) ?? '',
    reason: str(ev['reason']) ?? '',
    reportingComponent: reporting,
    source,
    type: str(ev['type']) ?? '',
  };
}

/** eventStrategy is the core/v1 (and events.k8s.io/v1) events policy. */
export const eventStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  validate: validateEvent,
  selectableFields: eventSelectableFields,
  table: eventTable,
  tracksGeneration: false,
});

/** priorityClassStrategy is the scheduling.k8s.io/v1 priorityclasses policy. */
export const priorityClassStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: false,
  defaults: defaultPriorityClass,
  validate: validatePriorityClass,
  validateUpdate: validatePriorityClassUpdate,
  table: priorityClassTable,
  tracksGeneration: false,
});

/** leaseStrategy is the coordination.k8s.io/v1 leases policy. */
export const leaseStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  validate: validateLease,
  table: leaseTable,
  tracksGeneration: false,
});

