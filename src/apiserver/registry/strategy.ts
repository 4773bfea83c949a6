/**
 * ResourceStrategy: the per-resource policy the generic store applies (apiserver's RESTCreateStrategy and
 * friends). The generic store owns the order of a write:
 *   decode → admission → (create) prepareForCreate → validate   → store
 *            admission → (update) prepareForUpdate → validateUpdate → store
 * Hooks must be pure functions of their inputs (plus the injected `now`), must not do I/O, and must not throw
 * for bad input: validation failures are returned as FieldErrors.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { FieldError } from '../../api/validation/field-error.js';
import type { TableConvertor } from '../printers/table.js';
import type { UserInfo } from '../request/request-info.js';

/** StrategyContext passes request facts to hooks. */
export interface StrategyContext {
  /** The time to stamp (creationTimestamp etc.) — from the injected clock. */
  readonly now: Date;
  /** The subresource being written ("status", "scale"…), or "" for the main resource. */
  readonly subresource: string;
  /** The authenticated user of the request; absent for server-internal writes (CSRs stamp their requestor). */
  readonly user?: UserInfo;
}

/** ResourceStrategy is the policy for one resource; every hook is optional. */
export interface ResourceStrategy {
  /**
   * Defaults and normalises a new object in place (e.g. pod restartPolicy, service clusterIP family). Called after
   * generic metadata (uid, creationTimestamp, generation) is set. Resources with a status subresource clear
   * `status` here unless they want clients to set it on create.
   */
  prepareForCreate?(obj: KubeObject, ctx: StrategyContext): void;
  /**
   * Normalises an update in place, given the stored object: for the main resource, keeps `old.status` when the
   * resource has a status subresource; for `status`, keeps `old.spec`.
   */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  /** Validates a new object; returns [] when valid. */
  validate?(obj: KubeObject): FieldError[];
  /** Validates an update (immutable fields etc.); returns [] when valid. */
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /**
   * Field-selector values for this kind beyond metadata.name and metadata.namespace, which the store always
   * provides (e.g. pods: spec.nodeName, status.phase; events: involvedObject.*).
   */
  selectableFields?(obj: KubeObject): Record<string, string>;
  /** Server-side Table columns for `kubectl get`. Kinds without one get NAME, AGE. */
  table?: TableConvertor;
  /** True when a spec change must bump metadata.generation (default: true when the object has `spec`). */
  tracksGeneration?: boolean;
}
