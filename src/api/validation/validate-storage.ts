/**
 * Storage validation: PersistentVolumeClaim, PersistentVolume and StorageClass, including the fields that may
 * not change after creation.
 */
import type { KubeObject } from '../meta/types.js';
import { fieldErrors, type FieldError } from './field-error.js';
import { semanticEqual, validateImmutableField } from './generic.js';
import { parseQuantity, QUANTITY_FORMAT_MSG } from './quantity.js';
import { isObject, obj, str, strings } from './unstructured.js';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];

function validateAccessModes(modes: unknown, field: string): FieldError[] {
  const list = strings(modes);
  const errs: FieldError[] = [];
  if (list.length === 0) errs.push(fieldErrors.required(field, 'at least 1 access mode is required'));
  for (const m of list) if (!ACCESS_MODES.includes(m)) errs.push(fieldErrors.notSupported(field, m, ACCESS_MODES));
  return errs;
}

function validateStorageQuantity(q: unknown, field: string): FieldError[] {
  if (q === undefined || q === null) return [fieldErrors.required(field)];
  const v = parseQuantity(q);
  if (v === undefined) return [fieldErrors.invalid(field, q, QUANTITY_FORMAT_MSG)];
  if (v <= 0) return [fieldErrors.invalid(field, q, 'must be greater than zero')];
  return [];
}

/** validatePersistentVolumeClaim: access modes, storage request, volume mode. */
export function validatePersistentVolumeClaim(pvc: KubeObject): FieldError[] {
  const spec = obj(pvc['spec']);
  const errs = validateAccessModes(spec['accessModes'], 'spec.accessModes');
  errs.push(...validateStorageQuantity(obj(obj(spec['resources'])['requests'])['storage'], 'spec.resources[storage]'));
  const vm = str(spec['volumeMode']);
  if (vm && !VOLUME_MODES.includes(vm)) errs.push(fieldErrors.notSupported('spec.volumeMode', vm, VOLUME_MODES));
  return errs;
}

/** PVC_SPEC_IMMUTABLE_MSG is upstream's text for changing a claim's fixed spec. */
export const PVC_SPEC_IMMUTABLE_MSG = 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims';

/** validatePersistentVolumeClaimUpdate: only resources.requests, volumeAttributesClassName and a first volumeName may change. */
export function validatePersistentVolumeClaimUpdate(pvc: KubeObject, old: KubeObject): FieldError[] {
  const spec = structuredClone(obj(pvc['spec']));
  const oldSpec = structuredClone(obj(old['spec']));
  for (const s of [spec, oldSpec]) {
    const res = s['resources'];
    if (isObject(res)) delete res['requests'];
    delete s['volumeAttributesClassName'];
  }
  if (!str(oldSpec['volumeName'])) {
    delete spec['volumeName'];
    delete oldSpec['volumeName'];
  }
  return semanticEqual(spec, oldSpec) ? [] : [fieldErrors.forbidden('spec', PVC_SPEC_IMMUTABLE_MSG)];
}

const VOLUME_SOURCES = ['hostPath', 'local', 'nfs', 'csi', 'iscsi', 'fc', 'rbd', 'cephfs', 'cinder', 'glusterfs', 'flexVolume', 'azureFile', 'azureDisk', 'awsElasticBlockStore', 'gcePersistentDisk', 'vsphereVolume', 'portworxVolume', 'scaleIO', 'storageos', 'photonPersistentDisk', 'quobyte', 'flocker'];

/** validatePersistentVolume: capacity, access modes, exactly one source, reclaim policy. */
export function validatePersistentVolume(pv: KubeObject): FieldError[] {
  const spec = obj(pv['spec']);
  const errs = validateAccessModes(spec['accessModes'], 'spec.accessModes');
  if (!isObject(spec['capacity'])) errs.push(fieldErrors.required('spec.capacity'));
  else errs.push(...validateStorageQuantity(obj(spec['capacity'])['storage'], 'spec.capacity[storage]'));
  const sources = VOLUME_SOURCES.filter((s) => isObject(spec[s]));
  if (sources.length === 0) errs.push(fieldErrors.required('spec', 'must specify a volume type'));
  else if (sources.length > 1) errs.push(fieldErrors.forbidden(`spec.${sources[1] ?? ''}`, 'may not specify more than 1 volume type'));
  const rp = str(spec['persistentVolumeReclaimPolicy']);
  if (rp && !['Delete', 'Recycle', 'Retain'].includes(rp)) errs.push(fieldErrors.notSupported('spec.persistentVolumeReclaimPolicy', rp, ['Delete', 'Recycle', 'Retain']));
  const vm = str(spec['volumeMode']);
  if (vm && !VOLUME_MODES.includes(vm)) errs.push(fieldErrors.notSupported('spec.volumeMode', vm, VOLUME_MODES));
  return errs;
}

/** validatePersistentVolumeUpdate: the volume source and volumeMode are immutable. */
export function validatePersistentVolumeUpdate(pv: KubeObject, old: KubeObject): FieldError[] {
  const spec = obj(pv['spec']);
  const oldSpec = obj(old['spec']);
  const errs = validateImmutableField(spec['volumeMode'], oldSpec['volumeMode'], 'spec.volumeMode');
  if (VOLUME_SOURCES.some((s) => !semanticEqual(spec[s], oldSpec[s]))) {
    errs.push(fieldErrors.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  }
  return errs;
}

/** validateStorageClass: provisioner required, policy values. */
export function validateStorageClass(sc: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const prov = str(sc['provisioner']) ?? '';
  if (!prov) errs.push(fieldErrors.required('provisioner'));
  const rp = str(sc['reclaimPolicy']);
  if (rp && rp !== 'Delete' && rp !== 'Retain') errs.push(fieldErrors.notSupported('reclaimPolicy', rp, ['Delete', 'Retain']));
  const vbm = str(sc['volumeBindingMode']);
  if (vbm && vbm !== 'Immediate' && vbm !== 'WaitForFirstConsumer') errs.push(fieldErrors.notSupported('volumeBindingMode', vbm, ['Immediate', 'WaitForFirstConsumer']));
  return errs;
}

/** validateStorageClassUpdate: parameters, provisioner, reclaimPolicy and volumeBindingMode are fixed. */
export function validateStorageClassUpdate(sc: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!semanticEqual(sc['parameters'], old['parameters'])) errs.push(fieldErrors.forbidden('parameters', 'updates to parameters are forbidden.'));
  if (sc['provisioner'] !== old['provisioner']) errs.push(fieldErrors.forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (!semanticEqual(sc['reclaimPolicy'], old['reclaimPolicy'])) errs.push(fieldErrors.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  errs.push(...validateImmutableField(sc['volumeBindingMode'], old['volumeBindingMode'], 'volumeBindingMode'));
  return errs;
}
