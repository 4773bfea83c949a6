/**
 * Field manager plumbing for request handlers: who the writer is (`fieldManager` query parameter, else the
 * User-Agent's product, as upstream: "kubectl-create", "kubectl-edit", "kubectl-client-side-apply", …), the
 * checks upstream makes on PatchOptions (`force` only with apply, `fieldManager` required for apply), and the
 * recorder a store calls on every write.
 */
import { invalid } from '../meta/status-error.js';
import type { StatusError } from '../meta/status-error.js';
import { formatTimestamp } from '../meta/timestamp.js';
import type { KubeObject } from '../meta/types.js';
import type { JsonObject } from '../patch/json-value.js';
import type { GroupVersionKind, SchemaLookup } from '../schema/types.js';
import { fieldErrors, toCauses } from '../validation/field-error.js';
import type { FieldError } from '../validation/field-error.js';
import { DEDUCED } from './apply-schema.js';
import type { ApplySchema } from './apply-schema.js';
import { builtinApplySchema } from './builtin-apply-schema.js';
import { updateManagedFields } from './server-side-apply.js';

/** MAX_FIELD_MANAGER_LENGTH is upstream's limit on a manager name. */
export const MAX_FIELD_MANAGER_LENGTH = 128;

/** WriteKind is which request options a write carries, for messages. */
export type WriteKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions';

/** FieldManagerQuery is what a handler reads from the request. */
export interface FieldManagerQuery {
  /** The `fieldManager` query parameter, or null. */
  readonly fieldManager: string | null;
  /** The `force` query parameter, or null. */
  readonly force: string | null;
  /** The User-Agent header. */
  readonly userAgent: string | undefined;
}

function optionsInvalid(kind: WriteKind, errs: FieldError[]): StatusError {
  return invalid(kind, 'meta.k8s.io', '', toCauses(errs));
}

function parseForce(value: string | null): boolean | undefined {
  if (value === null) return undefined;
  return value === '' || value === 'true' || value === '1';
}

/**
 * fieldManagerOf returns the manager name of a write and whether apply may force; throws a 422 StatusError on
 * PatchOptions/CreateOptions/UpdateOptions that upstream refuses: a name over 128 characters or with
 * non-printable characters, `force` on anything but an apply patch, an apply patch without `fieldManager`.
 */
export function fieldManagerOf(query: FieldManagerQuery, kind: WriteKind, isApply: boolean): { manager: string; force: boolean } {
  const errs: FieldError[] = [];
  const force = parseForce(query.force);
  const param = query.fieldManager ?? '';
  if (kind === 'PatchOptions' && !isApply && force !== undefined) errs.push(fieldErrors.forbidden('force', 'may not be specified for non-apply patch'));
  if (isApply && param === '') errs.push(fieldErrors.required('fieldManager', 'is required for apply patch'));
  if (param.length > MAX_FIELD_MANAGER_LENGTH) errs.push(fieldErrors.tooLong('fieldManager', param, MAX_FIELD_MANAGER_LENGTH));
  else if (/[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]/u.test(param)) errs.push(fieldErrors.invalid('fieldManager', param, 'is invalid because it contains invalid characters'));
  if (errs.length > 0) throw optionsInvalid(kind, errs);
  const manager = param !== '' ? param : (query.userAgent ?? '').split('/')[0]!.slice(0, MAX_FIELD_MANAGER_LENGTH);
  return { manager, force: force === true };
}

/**
 * applySchemaOf returns the ApplySchema of a built-in kind, or the `deduced` node (maps merge, lists replace)
 * for kinds the lookup does not describe.
 */
export function applySchemaOf(lookup: SchemaLookup | undefined, gvk: GroupVersionKind): ApplySchema {
  const type = lookup?.kind(gvk);
  return type === undefined || lookup === undefined ? DEDUCED : builtinApplySchema(lookup, type.name);
}

/**
 * formatManagedTime renders a time as managedFields do: RFC 3339 with whole seconds, UTC. That is an API timestamp,
 * so formatTimestamp makes it (and reuses the current second's text: every write stamps one).
 */
export function formatManagedTime(ms: number): string {
  return formatTimestamp(ms);
}

/** ManagedFieldsRecorderOptions configure managedFieldsRecorder. */
export interface ManagedFieldsRecorderOptions {
  readonly manager: string;
  /** The apiVersion of the resource written, e.g. "apps/v1". */
  readonly apiVersion: string;
  readonly schema: ApplySchema;
  /** "" for the main resource. */
  readonly subresource: string;
  /** Milliseconds since the epoch (the server's clock). */
  readonly now: () => number;
}

/**
 * managedFieldsRecorder returns the function a store calls with (object to store, stored object) to record a
 * non-apply write as an `Update` by `manager` (see updateManagedFields).
 */
export function managedFieldsRecorder(options: ManagedFieldsRecorderOptions): (obj: KubeObject, old: KubeObject | undefined) => void {
  return (obj, old) => {
    updateManagedFields(old as JsonObject | undefined, obj as JsonObject, {
      manager: options.manager,
      apiVersion: options.apiVersion,
      schema: options.schema,
      subresource: options.subresource,
      now: formatManagedTime(options.now()),
    });
  };
}
