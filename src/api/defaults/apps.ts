/**
 * Defaulting of workload controllers (apps/v1 and core/v1 ReplicationController), as upstream's apps/v1
 * SetDefaults_*: replicas, update strategies, history limits, and the embedded pod template.
 */
import { child, isObject, obj, objects, setDefault, setDefaultString, strMap, type JsonObject } from '../validation/unstructured.js';
import { defaultPodTemplateSpec } from './pod.js';

function defaultTemplate(spec: JsonObject): void {
  const t = spec['template'];
  if (isObject(t)) defaultPodTemplateSpec(t);
}

/** defaultDeployment: replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10, progressDeadlineSeconds 600. */
export function defaultDeployment(d: JsonObject): void {
  const spec = child(d, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  setDefaultString(strategy, 'type', 'RollingUpdate');
  if (strategy['type'] === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(spec);
}

/** defaultReplicaSet: replicas 1. */
export function defaultReplicaSet(rs: JsonObject): void {
  const spec = child(rs, 'spec');
  setDefault(spec, 'replicas', 1);
  defaultTemplate(spec);
}

/**
 * defaultReplicationController: replicas 1; an absent selector and absent object labels both default to the
 * template's labels (the core/v1 behaviour that predates label selectors).
 */
export function defaultReplicationController(rc: JsonObject): void {
  const spec = child(rc, 'spec');
  setDefault(spec, 'replicas', 1);
  const template = spec['template'];
  if (isObject(template)) {
    const labels = strMap(obj(template['metadata'])['labels']);
    if (Object.keys(labels).length > 0) {
      if (Object.keys(obj(spec['selector'])).length === 0) spec['selector'] = { ...labels };
      const meta = child(rc, 'metadata');
      if (Object.keys(obj(meta['labels'])).length === 0) meta['labels'] = { ...labels };
    }
  }
  defaultTemplate(spec);
}

/** defaultStatefulSet: replicas 1, OrderedReady, RollingUpdate partition 0, history 10, PVC retention Retain/Retain. */
export function defaultStatefulSet(sts: JsonObject): void {
  const spec = child(sts, 'spec');
  setDefault(spec, 'replicas', 1);
  setDefaultString(spec, 'podManagementPolicy', 'OrderedReady');
  const us = child(spec, 'updateStrategy');
  setDefaultString(us, 'type', 'RollingUpdate');
  if (us['type'] === 'RollingUpdate') {
    const ru = child(us, 'rollingUpdate');
    setDefault(ru, 'partition', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefaultString(retention, 'whenDeleted', 'Retain');
  setDefaultString(retention, 'whenScaled', 'Retain');
  for (const pvc of objects(spec['volumeClaimTemplates'])) {
    const pvcSpec = child(pvc, 'spec');
    setDefaultString(pvcSpec, 'volumeMode', 'Filesystem');
    setDefault(pvc, 'status', { phase: 'Pending' });
  }
  defaultTemplate(spec);
}

/** defaultDaemonSet: RollingUpdate maxUnavailable 1 maxSurge 0, revisionHistoryLimit 10. */
export function defaultDaemonSet(ds: JsonObject): void {
  const spec = child(ds, 'spec');
  const us = child(spec, 'updateStrategy');
  setDefaultString(us, 'type', 'RollingUpdate');
  if (us['type'] === 'RollingUpdate') {
    const ru = child(us, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(spec);
}
