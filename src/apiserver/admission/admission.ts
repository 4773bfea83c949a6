/**
 * Admission: the plugins every write passes after decoding and before the object is stored (upstream's
 * admission.Interface). The generic store runs the chain inside its write flow:
 *
 *   create: mutating plugins → prepareForCreate → validate → validating plugins → store
 *   update: mutating plugins → prepareForUpdate → validateUpdate → validating plugins → store
 *   delete: validating plugins (object = undefined, oldObject = the stored object) → delete
 *
 * Contract for plugins:
 * - `admit` (mutating) may change `attributes.object` in place; `validate` must not change anything.
 * - Either returns normally (admitted) or throws a StatusError (usually 403 Forbidden, 422 Invalid, or 500 for a
 *   failing webhook with failurePolicy Fail) that is written to the client as is; nothing is stored.
 * - A plugin answers only for what `handles` accepts; the chain skips it otherwise.
 * - Plugins may read cluster state through the lookups the composition root gives them (watch caches of the API
 *   server itself, never Storage directly) and must not assume they run once per request: a write that loses an
 *   optimistic-concurrency race runs the chain again on the re-read object.
 * - On a dry run (`attributes.dryRun`) plugins must not have side effects (quota usage, webhooks without
 *   sideEffects None/NoneOnDryRun are refused as upstream).
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { UserInfo } from '../request/request-info.js';

/** AdmissionOperation is what a write does to the object. CONNECT (exec/attach/portforward) comes with the kubelet. */
export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** AdmissionAttributes describe one write to the plugins. */
export interface AdmissionAttributes {
  readonly operation: AdmissionOperation;
  /** Storage group, version and resource ("" group for core), e.g. { group: "apps", version: "v1", resource: "deployments" }. */
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  /** "", "status", "scale", "binding", "eviction", "finalize"… */
  readonly subresource: string;
  readonly kind: string;
  /** "" for cluster-scoped objects. */
  readonly namespace: string;
  /** The object's name; "" for a create with generateName until the name is chosen. */
  readonly name: string;
  /** The new object (CREATE, UPDATE); mutating plugins may change it in place. Undefined for DELETE. */
  readonly object: KubeObject | undefined;
  /** The stored object (UPDATE, DELETE). */
  readonly oldObject: KubeObject | undefined;
  readonly user: UserInfo;
  readonly dryRun: boolean;
  /** The request's options object (CreateOptions, UpdateOptions, PatchOptions, DeleteOptions) as sent, if any. */
  readonly options?: unknown;
  /** Adds a warning the client sees as a `Warning: 299 - "…"` header (PodSecurity warn, policies with Warn). */
  warn(message: string): void;
  /**
   * Adds an annotation to the request's audit event (PodSecurity `audit` mode, policies with the Audit action);
   * a no-op when the request is not audited. Keys are `<plugin-domain>/<name>`; a later value for a key wins.
   */
  addAuditAnnotation?(key: string, value: string): void;
}

/**
 * AdmissionPlugin is one admission controller, and the public extension point for TypeScript code: pass extra
 * plugins to the control plane (ControlPlaneConfig.admissionPlugins) and they run after the built-in ones of
 * their phase. Implement `admit`, `validate`, or both.
 */
export interface AdmissionPlugin {
  /** The plugin's name as upstream spells it (e.g. "NamespaceLifecycle"), for errors and `--enable-admission-plugins`. */
  readonly name: string;
  /** Whether the plugin looks at this write at all. @default every write */
  handles?(attributes: AdmissionAttributes): boolean;
  /** Mutating phase: may change `attributes.object`. */
  admit?(attributes: AdmissionAttributes): Promise<void> | void;
  /** Validating phase: may only refuse. */
  validate?(attributes: AdmissionAttributes): Promise<void> | void;
}
