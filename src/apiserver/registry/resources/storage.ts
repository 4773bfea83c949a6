/**
 * Storage strategies: persistentvolumes and persistentvolumeclaims (new ones start `Pending`) and
 * storageclasses.
 */
import { defaultPersistentVolume, defaultPersistentVolumeClaim, defaultStorageClass } from '../../../api/defaults/core.js';
import {
  validatePersistentVolume,
  validatePersistentVolumeClaim,
  validatePersistentVolumeClaimUpdate,
  validatePersistentVolumeUpdate,
  validateStorageClass,
  validateStorageClassUpdate,
} from '../../../api/validation/validate-storage.js';
import { persistentVolumeClaimTable, persistentVolumeTable, storageClassTable } from '../../printers/storage.js';
import type { ResourceStrategy } from '../strategy.js';
import { newResourceStrategy } from './resource-strategy.js';

/** persistentVolumeStrategy is the core/v1 persistentvolumes policy. */
export const persistentVolumeStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: false,
  statusSubresource: true,
  initialStatus: () => ({ phase: 'Pending' }),
  defaults: defaultPersistentVolume,
  validate: validatePersistentVolume,
  validateUpdate: validatePersistentVolumeUpdate,
  table: persistentVolumeTable,
  tracksGeneration: false,
});

/** persistentVolumeClaimStrategy is the core/v1 persistentvolumeclaims policy. */
export const persistentVolumeClaimStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  statusSubresource: true,
  initialStatus: () => ({ phase: 'Pending' }),
  defaults: defaultPersistentVolumeClaim,
  validate: validatePersistentVolumeClaim,
  validateUpdate: validatePersistentVolumeClaimUpdate,
  table: persistentVolumeClaimTable,
  tracksGeneration: false,
});

/** storageClassStrategy is the storage.k8s.io/v1 storageclasses policy. */
export const storageClassStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: false,
  defaults: defaultStorageClass,
  validate: validateStorageClass,
  validateUpdate: validateStorageClassUpdate,
  table: storageClassTable,
  tracksGeneration: false,
});
