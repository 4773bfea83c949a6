/**
 * ObjectReader: how plugins read cluster state (namespaces, service accounts, quotas, policies…) and write the few
 * things admission keeps current (ResourceQuota status). The control plane backs it with the API server's own
 * stores, so reads come from watch caches, never from Storage directly.
 */
import type { KubeObject } from '../../api/meta/types.js';

/** ObjectReader reads objects by storage group and resource ("" group for core). */
export interface ObjectReader {
  /** One object, or undefined when it does not exist (or the resource is not served). */
  get(group: string, resource: string, namespace: string, name: string): Promise<KubeObject | undefined>;
  /** Every object of a namespace ("" = all namespaces, or a cluster-scoped resource). */
  list(group: string, resource: string, namespace: string): Promise<readonly KubeObject[]>;
  /**
   * Rewrites an object's status with `fn` (re-read and retried on conflicts). Writes of this kind do not run
   * admission. Resolves false when the object no longer exists.
   */
  updateStatus(group: string, resource: string, namespace: string, name: string, fn: (obj: KubeObject) => KubeObject): Promise<boolean>;
}
