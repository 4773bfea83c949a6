/**
 * Tables of the storage kinds: PersistentVolume, PersistentVolumeClaim, StorageClass. Access modes print in
 * their short forms (RWO, ROX, RWX, RWOP).
 */
import type { KubeObject } from '../../api/meta/types.js';
import { obj, str, strings } from '../../api/validation/unstructured.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, column, NAME_COLUMN, nameOf } from './columns.js';
import type { TableConvertor } from './table.js';

const ACCESS_MODE_SHORT: readonly [string, string][] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** accessModes renders access modes in upstream's fixed order, de-duplicated. */
export function accessModes(modes: unknown): string {
  const set = new Set(strings(modes));
  return ACCESS_MODE_SHORT.filter(([m]) => set.has(m))
    .map(([, s]) => s)
    .join(',');
}

function storageClassOf(o: KubeObject): string {
  return str(obj(o['spec'])['storageClassName']) || o.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] || '';
}

function quantity(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

/** persistentVolumeTable renders persistentvolumes. */
export const persistentVolumeTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Capacity', { description: 'capacity is the description of the persistent volume\'s resources and capacity.' }),
    column('Access Modes', { description: 'accessModes contains all ways the volume can be mounted.' }),
    column('Reclaim Policy', { description: 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.' }),
    column('Status', { description: 'phase indicates if a volume is available, bound to a claim, or released by a claim.' }),
    column('Claim', { description: 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.' }),
    column('StorageClass', { description: 'storageClassName is the name of StorageClass to which this persistent volume belongs.' }),
    column('VolumeAttributesClass', { description: 'Name of VolumeAttributesClass to which this persistent volume belongs.' }),
    column('Reason', { description: 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.' }),
    AGE_COLUMN,
    column('VolumeMode', { priority: 1, description: 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.' }),
  ],
  cells(pv, now) {
    const spec = obj(pv['spec']);
    const status = obj(pv['status']);
    const ref = obj(spec['claimRef']);
    const claim = str(ref['name']) ? `${str(ref['namespace']) ?? ''}/${str(ref['name']) ?? ''}` : '';
    return [
      nameOf(pv),
      quantity(obj(spec['capacity'])['storage']),
      accessModes(spec['accessModes']),
      str(spec['persistentVolumeReclaimPolicy']) ?? '',
      pv.metadata?.deletionTimestamp ? 'Terminating' : (str(status['phase']) ?? ''),
      claim,
      storageClassOf(pv),
      str(spec['volumeAttributesClassName']) || '<unset>',
      str(status['reason']) ?? '',
      translateTimestampSince(pv.metadata?.creationTimestamp, now),
      str(spec['volumeMode']) || '<unset>',
    ];
  },
};

/** persistentVolumeClaimTable renders persistentvolumeclaims; capacity and modes come from status once bound. */
export const persistentVolumeClaimTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Status', { description: 'phase represents the current phase of PersistentVolumeClaim.' }),
    column('Volume', { description: 'volumeName is the binding reference to the PersistentVolume backing this claim.' }),
    column('Capacity', { description: 'capacity represents the actual resources of the underlying volume.' }),
    column('Access Modes', { description: 'accessModes contains the desired access modes the volume should have.' }),
    column('StorageClass', { description: 'storageClassName is the name of the StorageClass required by the claim.' }),
    column('VolumeAttributesClass', { description: 'volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.' }),
    AGE_COLUMN,
    column('VolumeMode', { priority: 1, description: 'volumeMode defines what type of volume is required by the claim.' }),
  ],
  cells(pvc, now) {
    const spec = obj(pvc['spec']);
    const status = obj(pvc['status']);
    const volumeName = str(spec['volumeName']) ?? '';
    const bound = volumeName !== '';
    return [
      nameOf(pvc),
      pvc.metadata?.deletionTimestamp ? 'Terminating' : (str(status['phase']) ?? ''),
      volumeName,
      bound ? quantity(obj(status['capacity'])['storage']) : '',
      bound ? accessModes(status['accessModes']) : '',
      storageClassOf(pvc),
      str(spec['volumeAttributesClassName']) || '<unset>',
      translateTimestampSince(pvc.metadata?.creationTimestamp, now),
      str(spec['volumeMode']) || '<unset>',
    ];
  },
};

/** storageClassTable renders storageclasses; the default class's name carries ` (default)`. */
export const storageClassTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Provisioner', { description: 'provisioner indicates the type of the provisioner.' }),
    column('ReclaimPolicy', { description: 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.' }),
    column('VolumeBindingMode', { description: 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.' }),
    column('AllowVolumeExpansion', { description: 'allowVolumeExpansion shows whether the storage class allow volume expand.' }),
    AGE_COLUMN,
  ],
  cells(sc, now) {
    const ann = sc.metadata?.annotations ?? {};
    const isDefault = ann['storageclass.kubernetes.io/is-default-class'] === 'true' || ann['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
    return [
      isDefault ? `${nameOf(sc)} (default)` : nameOf(sc),
      str(sc['provisioner']) ?? '',
      str(sc['reclaimPolicy']) || 'Delete',
      str(sc['volumeBindingMode']) || 'Immediate',
      sc['allowVolumeExpansion'] === true,
      translateTimestampSince(sc.metadata?.creationTimestamp, now),
    ];
  },
};
