/**
 * The PersistentVolume controller (name "persistentvolume-binder", upstream's PV controller) with the built-in
 * local-path provisioner:
 *  - a Pending claim is bound to the smallest fitting Available volume (see volume-matching.ts): the volume gets
 *    the claimRef, the claim `spec.volumeName`, both the upstream annotations (`pv.kubernetes.io/bind-completed`,
 *    `pv.kubernetes.io/bound-by-controller`) and phase Bound;
 *  - a claim of a StorageClass whose provisioner is `tkube.io/local-path` with no fitting volume gets one
 *    provisioned: at once for `Immediate` classes (on no particular node), and for `WaitForFirstConsumer`
 *    classes once the scheduler picked a node for its first pod (annotation `volume.kubernetes.io/selected-node`),
 *    as a hostPath volume under the node's storage directory with node affinity to that node;
 *  - a volume whose claim is gone is Released; with reclaim policy Delete it is deleted, with Retain it stays
 *    Released. A local-path volume carries LOCAL_PATH_FINALIZER from birth, so its object stays (Terminating)
 *    until its node removed the directory and the finalizer (src/api/core/local-path.ts has the protocol);
 *  - a volume nobody claims is Available.
 * Keys are `claim:<namespace>/<name>` and `volume:<name>`; every step is idempotent.
 */
import { DEFAULT_LOCAL_PATH_BASE, LOCAL_PATH_FINALIZER, LOCAL_PATH_PROVISIONER, PROVISIONED_BY_ANNOTATION } from '../../api/core/local-path.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { Logger } from '../../base/log/logger.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/api-error.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import type { RestClient } from '../../client/rest-client.js';
import { Controller } from '../controller.js';
import type { ControllerContext, ControllerDescriptor } from '../controller-descriptor.js';
import type { Reconciler } from '../reconciler.js';
import { claimClass, claimSpec, findMatchingVolume, isPreBoundTo, volumeSpec } from './volume-matching.js';

const PVCS = { version: 'v1', resource: 'persistentvolumeclaims' } as const;
const PVS = { version: 'v1', resource: 'persistentvolumes' } as const;
const STORAGE_CLASSES = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' } as const;

/** The annotation the scheduler sets on a WaitForFirstConsumer claim: the node of its first pod. */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
const BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
const BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';

function phaseOf(obj: KubeObject | undefined): string | undefined {
  return (obj?.['status'] as { phase?: string } | undefined)?.phase;
}

/** PersistentVolumeReconciler binds, provisions and releases; see the file comment. */
export class PersistentVolumeReconciler implements Reconciler {
  readonly #client: RestClient;
  readonly #claims: SharedInformer;
  readonly #volumes: SharedInformer;
  readonly #classes: SharedInformer;
  readonly #events: EventRecorder;
  readonly #log: Logger;
  readonly #basePath: string;

  constructor(config: { client: RestClient; claims: SharedInformer; volumes: SharedInformer; classes: SharedInformer; events: EventRecorder; log: Logger; basePath?: string }) {
    this.#client = config.client;
    this.#claims = config.claims;
    this.#volumes = config.volumes;
    this.#classes = config.classes;
    this.#events = config.events;
    this.#log = config.log;
    this.#basePath = config.basePath ?? DEFAULT_LOCAL_PATH_BASE;
  }

  async reconcile(key: string): Promise<void> {
    if (key.startsWith('claim:')) return this.#syncClaim(key.slice('claim:'.length));
    if (key.startsWith('volume:')) return this.#syncVolume(key.slice('volume:'.length));
  }

  async #syncClaim(key: string): Promise<void> {
    const claim = this.#claims.store.get(key);
    if (!claim || claim.metadata?.deletionTimestamp) return;
    const spec = claimSpec(claim);
    if (spec.volumeName) {
      const pv = this.#volumes.store.get(spec.volumeName);
      if (!pv) {
        // Bound to a volume that is gone: upstream reports the claim Lost.
        if (phaseOf(claim) === 'Bound') await this.#setClaimPhase(claim, 'Lost');
        return;
      }
      if (!volumeSpec(pv).claimRef?.name) {
        await this.#bindVolume(pv, claim);
        return;
      }
      if (isPreBoundTo(pv, claim)) await this.#completeClaim(claim, pv);
      return;
    }
    const match = findMatchingVolume(claim, this.#volumes.store.list());
    if (match) {
      await this.#bindVolume(match, claim);
      await this.#bindClaim(claim, match);
      return;
    }
    await this.#provisionIfOurs(claim);
  }

  async #provisionIfOurs(claim: KubeObject): Promise<void> {
    const className = claimClass(claim);
    if (className === '') return;
    const sc = this.#classes.store.get(className);
    if (!sc || sc['provisioner'] !== LOCAL_PATH_PROVISIONER) return;
    const waitForConsumer = sc['volumeBindingMode'] === 'WaitForFirstConsumer';
    const node = claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
    if (waitForConsumer && !node) {
      await this.#events.record({ ...claim, apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      return;
    }
    const uid = claim.metadata?.uid ?? '';
    const ns = claim.metadata?.namespace ?? '';
    const name = claim.metadata?.name ?? '';
    const pvName = `pvc-${uid}`;
    if (this.#volumes.store.get(pvName)) return; // provisioned already; its own event binds it
    const spec = claimSpec(claim);
    const pv: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pvName, annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PATH_PROVISIONER }, finalizers: [LOCAL_PATH_FINALIZER] },
      spec: {
        capacity: { storage: spec.resources?.requests?.['storage'] ?? '1Gi' },
        accessModes: spec.accessModes && spec.accessModes.length > 0 ? [...spec.accessModes] : ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: typeof sc['reclaimPolicy'] === 'string' ? sc['reclaimPolicy'] : 'Delete',
        storageClassName: className,
        volumeMode: 'Filesystem',
        hostPath: { path: `${this.#basePath}/${pvName}_${ns}_${name}`, type: 'DirectoryOrCreate' },
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name, uid },
        ...(node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } } : {}),
      },
    };
    try {
      await this.#client.create(PVS, pv);
    } catch (err) {
      if (isAlreadyExists(err)) return;
      await this.#events.record({ ...claim, apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${className}": ${(err as Error).message}`);
      throw err;
    }
    this.#log.info('Provisioned volume', { claim: `${ns}/${name}`, volume: pvName, node: node ?? '' });
    await this.#events.record({ ...claim, apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName}`);
  }

  async #syncVolume(name: string): Promise<void> {
    const pv = this.#volumes.store.get(name);
    if (!pv) return;
    // A volume being deleted (held by a finalizer) is neither bound nor made Available again, but it is still
    // Released once its claim goes: that is what a local-path volume's node waits for before removing the data.
    const deleting = pv.metadata?.deletionTimestamp !== undefined;
    const ref = volumeSpec(pv).claimRef;
    if (deleting && !ref?.uid) return;
    if (!ref?.name) {
      if (phaseOf(pv) !== 'Available') await this.#setVolumePhase(pv, 'Available');
      return;
    }
    const claim = this.#claims.store.get(`${ref.namespace ?? ''}/${ref.name}`);
    if (claim && (!ref.uid || ref.uid === claim.metadata?.uid)) {
      if (deleting) return;
      // Pre-bound by a provisioner or a user: the claim's sync finishes the pair.
      if (claimSpec(claim).volumeName !== name) await this.#bindClaim(claim, pv);
      else if (phaseOf(pv) !== 'Bound') await this.#setVolumePhase(pv, 'Bound');
      return;
    }
    if (!ref.uid) return; // pre-bound to a claim that does not exist yet: wait for it
    // The claim is gone: release, then reclaim.
    if (phaseOf(pv) !== 'Released' && phaseOf(pv) !== 'Failed') await this.#setVolumePhase(pv, 'Released');
    if (volumeSpec(pv).persistentVolumeReclaimPolicy === 'Delete' && !deleting) {
      try {
        await this.#client.delete({ ...PVS, name }, { preconditions: { uid: pv.metadata?.uid } });
        this.#log.info('Deleted released volume', { volume: name });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
  }

  /** #bindVolume writes the claimRef (with the claim's uid) into the volume. */
  async #bindVolume(pv: KubeObject, claim: KubeObject): Promise<void> {
    const ref = volumeSpec(pv).claimRef;
    if (ref?.uid === claim.metadata?.uid && ref?.name === claim.metadata?.name) return;
    const annotations = ref?.name ? {} : { [BOUND_BY_CONTROLLER]: 'yes' };
    await this.#client.patch({ ...PVS, name: pv.metadata?.name }, 'merge', {
      metadata: { resourceVersion: pv.metadata?.resourceVersion, annotations },
      spec: { claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: claim.metadata?.namespace, name: claim.metadata?.name, uid: claim.metadata?.uid, resourceVersion: claim.metadata?.resourceVersion } },
    });
  }

  /** #bindClaim points the claim at the volume, then completes it. */
  async #bindClaim(claim: KubeObject, pv: KubeObject): Promise<void> {
    const path = { ...PVCS, namespace: claim.metadata?.namespace, name: claim.metadata?.name };
    const boundByUs = claimSpec(claim).volumeName ? {} : { [BOUND_BY_CONTROLLER]: 'yes' };
    const updated = await this.#client.patch(path, 'merge', {
      metadata: { resourceVersion: claim.metadata?.resourceVersion, annotations: { [BIND_COMPLETED]: 'yes', ...boundByUs } },
      spec: { volumeName: pv.metadata?.name },
    });
    await this.#completeClaim(updated, pv);
  }

  /** #completeClaim sets both phases to Bound and the claim's capacity and access modes from the volume. */
  async #completeClaim(claim: KubeObject, pv: KubeObject): Promise<void> {
    if (phaseOf(pv) !== 'Bound') await this.#setVolumePhase(pv, 'Bound');
    if (claim.metadata?.annotations?.[BIND_COMPLETED] !== 'yes') {
      claim = await this.#client.patch({ ...PVCS, namespace: claim.metadata?.namespace, name: claim.metadata?.name }, 'merge', { metadata: { annotations: { [BIND_COMPLETED]: 'yes' } } });
    }
    if (phaseOf(claim) === 'Bound') return;
    const v = volumeSpec(pv);
    await this.#client.patch({ ...PVCS, namespace: claim.metadata?.namespace, name: claim.metadata?.name, subresource: 'status' }, 'merge', {
      status: { phase: 'Bound', accessModes: v.accessModes ?? [], capacity: v.capacity ?? {} },
    });
    this.#log.info('Bound claim', { claim: `${claim.metadata?.namespace ?? ''}/${claim.metadata?.name ?? ''}`, volume: pv.metadata?.name ?? '' });
  }

  async #setVolumePhase(pv: KubeObject, phase: string): Promise<void> {
    try {
      await this.#client.patch({ ...PVS, name: pv.metadata?.name, subresource: 'status' }, 'merge', { status: { phase } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #setClaimPhase(claim: KubeObject, phase: string): Promise<void> {
    try {
      await this.#client.patch({ ...PVCS, namespace: claim.metadata?.namespace, name: claim.metadata?.name, subresource: 'status' }, 'merge', { status: { phase } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** newPersistentVolumeController builds the controller over claims, volumes and classes. */
export function newPersistentVolumeController(ctx: ControllerContext): Controller {
  const claims: SharedInformer = ctx.informers.informerFor(PVCS);
  const volumes: SharedInformer = ctx.informers.informerFor(PVS);
  const classes: SharedInformer = ctx.informers.informerFor(STORAGE_CLASSES);
  const events = new EventRecorder({ client: ctx.client, component: 'persistentvolume-controller', clock: ctx.clock, log: ctx.log });
  const reconciler = new PersistentVolumeReconciler({ client: ctx.client, claims, volumes, classes, events, log: ctx.log, ...(ctx.settings.localPathBase ? { basePath: ctx.settings.localPathBase } : {}) });
  const controller = new Controller({ name: 'persistentvolume-binder', reconciler, clock: ctx.clock, log: ctx.log });
  const claimKey = (c: KubeObject): string => `claim:${c.metadata?.namespace ?? ''}/${c.metadata?.name ?? ''}`;
  const onClaim = (c: KubeObject): void => controller.enqueue(claimKey(c));
  claims.addEventHandler({
    onAdd: onClaim,
    onUpdate: (_o, c) => onClaim(c),
    onDelete: (c) => {
      // The volumes it held are released.
      for (const pv of volumes.store.list()) if (volumeSpec(pv).claimRef?.uid === c.metadata?.uid) controller.enqueue(`volume:${pv.metadata?.name ?? ''}`);
    },
  });
  const onVolume = (pv: KubeObject): void => {
    controller.enqueue(`volume:${pv.metadata?.name ?? ''}`);
    const ref = volumeSpec(pv).claimRef;
    if (ref?.name) controller.enqueue(`claim:${ref.namespace ?? ''}/${ref.name}`);
    else for (const c of claims.store.list()) if (phaseOf(c) === 'Pending') onClaim(c);
  };
  volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_o, pv) => onVolume(pv) });
  classes.addEventHandler({ onAdd: () => claims.store.list().forEach((c) => phaseOf(c) === 'Pending' && onClaim(c)) });
  return controller;
}

/** PERSISTENTVOLUME_CONTROLLER is the table row of the PV controller. */
export const PERSISTENTVOLUME_CONTROLLER: ControllerDescriptor = { name: 'persistentvolume-binder', enabledByDefault: true, create: newPersistentVolumeController };
