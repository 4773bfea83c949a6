/**
 * Server-side apply and field ownership (upstream's structured-merge-diff Updater plus the apiserver's field
 * manager chain), as pure functions over JSON objects:
 *
 *   - `serverSideApply(live, applied, options)` merges an applied configuration into the live object, removes
 *     fields the manager applied before and no longer applies (unless another manager owns them), and records
 *     the manager's `Apply` entry in `metadata.managedFields`. Fields it would change that other managers own
 *     are conflicts, returned as a value unless `force` takes them over.
 *   - `updateManagedFields(old, next, options)` records any other write (create, update, patch, subresources)
 *     as an `Update` entry of its manager, which takes the fields it changed from their previous owners.
 *
 * Client-side apply migration, as upstream does it for the manager "kubectl" only: an apply whose conflicts all
 * lie in fields the `kubectl.kubernetes.io/last-applied-configuration` annotation set (with the live values
 * still as last applied) is forced, and when the object carries that annotation it is rewritten to the applied
 * configuration, so a later client-side `kubectl apply` computes its patch from what was applied last.
 */
import type { ManagedFieldsEntry } from '../meta/types.js';
import type { ApplySchema } from './apply-schema.js';
import type { ApplyConflict } from './apply-conflict.js';
import { compareFields } from './compare-fields.js';
import { pathString } from './field-set.js';
import type { FieldSet } from './field-set.js';
import { capUpdateManagers, decodeManagedFields, encodeManagedFields, isResetManagedFields, managerId, printManager, STRIP_SET } from './managed-fields.js';
import type { ManagedFields, ManagerInfo } from './managed-fields.js';
import { createdFieldsV1, NOT_DIRECT } from './created-fields.js';
import { mergeApplied } from './merge-applied.js';
import { removeFields } from './remove-fields.js';
import { toFieldSet } from './to-field-set.js';
import { isJsonObject, jsonEqual, setJsonProperty } from '../patch/json-value.js';
import type { JsonObject, JsonValue } from '../patch/json-value.js';

/** LAST_APPLIED_ANNOTATION is where client-side `kubectl apply` keeps the configuration it applied. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** The manager name `kubectl apply --server-side` uses; only it migrates client-side apply state, as upstream. */
const KUBECTL_MANAGER = 'kubectl';

/** FieldManagerOptions say who writes, with which schema, and when. */
export interface FieldManagerOptions {
  /** The field manager's name (`fieldManager` query parameter or the User-Agent's product). */
  readonly manager: string;
  /** The apiVersion the request used, e.g. "apps/v1". */
  readonly apiVersion: string;
  /** The schema of the object's kind. */
  readonly schema: ApplySchema;
  /** The time recorded in the manager's entry, RFC 3339 (seconds), e.g. "2026-01-02T03:04:05Z". */
  readonly now: string;
  /** The subresource written ("status", "scale"), or "" / undefined for the main resource. */
  readonly subresource?: string;
}

/** ServerSideApplyOptions adds what only apply has. */
export interface ServerSideApplyOptions extends FieldManagerOptions {
  /** Take conflicting fields from their owners instead of reporting them. */
  readonly force: boolean;
}

/** ServerSideApplyResult is the applied object, or the conflicts that stopped the apply. */
export type ServerSideApplyResult =
  | { readonly object: JsonObject; readonly conflicts?: undefined }
  | { readonly object?: undefined; readonly conflicts: readonly ApplyConflict[] };

function metadataOf(obj: JsonObject): JsonObject {
  const md = obj['metadata'];
  return isJsonObject(md) ? md : {};
}

/**
 * recordCreate is updateManagedFields for a create without managedFields in its body, with the one entry encoded
 * straight from the object (createdFieldsV1); undefined when that encoding does not apply.
 */
function recordCreate(next: JsonObject, options: FieldManagerOptions): JsonObject | undefined {
  const fieldsV1 = createdFieldsV1(withoutManagedFields(next), options.schema);
  if (fieldsV1 === NOT_DIRECT) return undefined;
  const md: JsonObject = { ...metadataOf(next) };
  if (fieldsV1 === undefined) delete md['managedFields'];
  else {
    const entry: ManagedFieldsEntry = { manager: options.manager, operation: 'Update', apiVersion: options.apiVersion, time: options.now, fieldsType: 'FieldsV1', fieldsV1 };
    md['managedFields'] = [entry] as unknown as JsonValue;
  }
  next['metadata'] = md;
  return next;
}

/** withoutManagedFields returns a shallow copy of `obj` without metadata.managedFields. */
function withoutManagedFields(obj: JsonObject): JsonObject {
  const md = obj['metadata'];
  if (!isJsonObject(md) || !Object.hasOwn(md, 'managedFields')) return obj;
  const { managedFields: _drop, ...rest } = md;
  return { ...obj, metadata: rest };
}

/** withoutNulls drops null values from objects (an applied `null` means "not set", e.g. `creationTimestamp: null`). */
function withoutNulls(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    const child = value[key]!;
    if (child === null) continue;
    setJsonProperty(out, key, withoutNulls(child));
  }
  return out;
}

function setManagedFields(obj: JsonObject, managed: ManagedFields): JsonObject {
  const md: JsonObject = { ...metadataOf(obj) };
  const entries = encodeManagedFields(managed);
  if (entries.length > 0) md['managedFields'] = entries as unknown as JsonValue;
  else delete md['managedFields'];
  return { ...obj, metadata: md };
}

/**
 * takeOwnership moves changed fields to the writer (upstream's Updater.update): other managers lose the fields
 * the change modified or added (reported as conflicts instead when not forced) and the fields it removed.
 */
function takeOwnership(managers: ManagedFields, selfId: string, changed: FieldSet, removed: FieldSet, force: boolean): Map<string, FieldSet> {
  const conflicts = new Map<string, FieldSet>();
  for (const [id, entry] of managers) {
    if (id === selfId) continue;
    const overlap = entry.set.intersection(changed);
    if (!overlap.isEmpty()) conflicts.set(id, overlap);
  }
  if (!force && conflicts.size > 0) return conflicts;
  for (const [id, entry] of managers) {
    if (id === selfId) continue;
    const overlap = conflicts.get(id);
    if (overlap !== undefined) entry.set = entry.set.difference(overlap);
    if (!removed.isEmpty()) entry.set = entry.set.difference(removed);
    if (entry.set.isEmpty()) managers.delete(id);
  }
  return new Map();
}

function conflictList(managers: ManagedFields, conflicts: Map<string, FieldSet>): Array<ApplyConflict & { path: string[] }> {
  const out: Array<ApplyConflict & { path: string[] }> = [];
  const ids = [...conflicts.keys()].sort((a, b) => {
    const ma = managers.get(a)?.info.manager ?? '';
    const mb = managers.get(b)?.info.manager ?? '';
    return ma < mb ? -1 : ma > mb ? 1 : 0;
  });
  for (const id of ids) {
    const info = managers.get(id)?.info;
    const manager = info === undefined ? JSON.stringify(id) : printManager(info);
    for (const path of conflicts.get(id)!.members()) out.push({ manager, field: pathString(path), path });
  }
  return out;
}

/**
 * allowedByLastApplied returns the fields the last-applied annotation set whose live values still equal it: the
 * conflicts `kubectl` may take over when it switches from client-side to server-side apply.
 */
function allowedByLastApplied(live: JsonObject, schema: ApplySchema, apiVersion: string): FieldSet | undefined {
  const annotations = metadataOf(live)['annotations'];
  const text = isJsonObject(annotations) ? annotations[LAST_APPLIED_ANNOTATION] : undefined;
  if (typeof text !== 'string' || text === '') return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isJsonObject(lastApplied) || lastApplied['apiVersion'] !== apiVersion) return undefined;
  const cleaned = withoutNulls(lastApplied);
  const diff = compareFields(cleaned, withoutManagedFields(live), schema);
  return toFieldSet(cleaned, schema).difference(diff.modified).difference(diff.added).difference(diff.removed);
}

/** sortedJson renders a value with object keys sorted, as Go renders the maps of an unstructured object. */
function sortedJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (isJsonObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson(value[k]!)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** lastAppliedOf is the annotation value for an applied configuration: itself without the annotation. */
function lastAppliedOf(applied: JsonObject): string {
  const md = applied['metadata'];
  if (!isJsonObject(md) || !isJsonObject(md['annotations'])) return sortedJson(applied);
  const { [LAST_APPLIED_ANNOTATION]: _drop, ...annotations } = md['annotations'];
  return sortedJson({ ...applied, metadata: { ...md, annotations } });
}

/**
 * serverSideApply applies `applied` (a decoded apply-patch body) to `live` (undefined when the object does not
 * exist yet) for `options.manager`. Returns the new object (with managedFields) or, when other managers own
 * fields it would change and `force` is false, the conflicts. Neither input is changed; the result may share
 * parts with them.
 */
export function serverSideApply(live: JsonObject | undefined, applied: JsonObject, options: ServerSideApplyOptions): ServerSideApplyResult {
  const first = applyOnce(live, applied, options, options.force);
  if (first.conflicts === undefined) return first;
  let remaining = first.conflicts;
  if (options.manager === KUBECTL_MANAGER && live !== undefined) {
    const allowed = allowedByLastApplied(live, options.schema, options.apiVersion);
    if (allowed !== undefined) remaining = remaining.filter((c) => !allowed.has(c.path));
    if (remaining.length === 0) return applyOnce(live, applied, options, true);
  }
  return { conflicts: remaining.map(({ manager, field }) => ({ manager, field })) };
}

function applyOnce(
  live: JsonObject | undefined,
  applied: JsonObject,
  options: ServerSideApplyOptions,
  force: boolean,
): { object: JsonObject; conflicts?: undefined } | { object?: undefined; conflicts: Array<ApplyConflict & { path: string[] }> } {
  const schema = options.schema;
  const subresource = options.subresource ?? '';
  const managers = decodeManagedFields(metadataOf(live ?? {})['managedFields']) ?? new Map();
  const liveObject = withoutManagedFields(live ?? {});
  const config = withoutManagedFields(withoutNulls(applied) as JsonObject);

  let merged = mergeApplied(liveObject, config, schema) as JsonObject;
  const info: ManagerInfo = { manager: options.manager, operation: 'Apply', apiVersion: options.apiVersion, subresource, time: undefined };
  const selfId = managerId(info);
  const previous = managers.get(selfId);
  let appliedSet = toFieldSet(config, schema).difference(STRIP_SET);
  // Re-applying the same fields keeps the decoded set, so its stored fieldsV1 is reused rather than re-encoded.
  if (previous !== undefined && previous.set.equals(appliedSet)) appliedSet = previous.set;
  managers.set(selfId, { info: { ...info, time: previous?.info.time }, set: appliedSet, decoded: previous?.decoded });

  // Prune what this manager applied last time and no longer applies, unless someone (itself included) still
  // owns it.
  if (previous !== undefined && !previous.set.isEmpty()) {
    let owned = appliedSet;
    for (const [id, entry] of managers) if (id !== selfId) owned = owned.union(entry.set);
    const stale = previous.set.difference(owned);
    if (!stale.isEmpty()) merged = (removeFields(merged, stale, schema, owned) ?? {}) as JsonObject;
  }

  const diff = compareFields(liveObject, merged, schema);
  const conflicts = takeOwnership(managers, selfId, diff.modified.union(diff.added), diff.removed, force);
  if (conflicts.size > 0) return { conflicts: conflictList(managers, conflicts) };

  const self = managers.get(selfId)!;
  // Field changes mean a change; without any, the order of list items may still differ.
  const changed = !diff.modified.isEmpty() || !diff.added.isEmpty() || !diff.removed.isEmpty() || !jsonEqual(liveObject, merged);
  if (changed || self.info.time === undefined) self.info.time = options.now;

  if (options.manager === KUBECTL_MANAGER) {
    const annotations = metadataOf(merged)['annotations'];
    const current = isJsonObject(annotations) ? annotations[LAST_APPLIED_ANNOTATION] : undefined;
    if (typeof current === 'string' && current !== '' && isJsonObject(annotations)) {
      const md = metadataOf(merged);
      merged = { ...merged, metadata: { ...md, annotations: { ...annotations, [LAST_APPLIED_ANNOTATION]: lastAppliedOf(applied) } } };
    }
  }
  capUpdateManagers(managers);
  return { object: setManagedFields(merged, managers) };
}

/**
 * updateManagedFields records a non-apply write: `next` (the object about to be stored) gets the managedFields
 * that follow from `old` (the stored object, undefined on create). The writer's `Update` entry gains every
 * field it added or changed, which other managers lose, as they lose the fields it removed. Returns `next`
 * with `metadata.managedFields` replaced (the object is changed in place).
 *
 * A request that sends managedFields sets them (an empty list, or one empty entry, clears them first), except on
 * subresources, which always start from the stored entries; one that sends none keeps the stored entries.
 */
export function updateManagedFields(old: JsonObject | undefined, next: JsonObject, options: FieldManagerOptions): JsonObject {
  const subresource = options.subresource ?? '';
  const oldObject = old ?? {};
  const requested = metadataOf(next)['managedFields'];
  if (old === undefined && subresource === '' && (requested === undefined || requested === null || isResetManagedFields(requested))) {
    // A create that brings no managedFields: its writer is the only manager and owns every field it set.
    const created = recordCreate(next, options);
    if (created !== undefined) return created;
  }
  const stored = (): ManagedFields => decodeManagedFields(metadataOf(oldObject)['managedFields']) ?? new Map();
  let managers: ManagedFields;
  if (subresource !== '') managers = stored();
  else if (isResetManagedFields(requested)) managers = new Map();
  else {
    const decoded = decodeManagedFields(requested);
    managers = decoded === undefined || decoded.size === 0 ? stored() : decoded;
  }

  const diff = compareFields(withoutManagedFields(oldObject), withoutManagedFields(next), options.schema);
  const changed = diff.modified.union(diff.added);
  const info: ManagerInfo = { manager: options.manager, operation: 'Update', apiVersion: options.apiVersion, subresource, time: options.now };
  const selfId = managerId(info);
  // A writer is never in conflict with itself; everyone else (its own earlier entry too) loses what it changed.
  takeOwnership(managers, '', changed, diff.removed, true);
  const gained = changed.difference(STRIP_SET);
  if (!gained.isEmpty()) {
    const kept = managers.get(selfId);
    managers.set(selfId, { info, set: kept === undefined ? gained : kept.set.union(gained) });
  }
  capUpdateManagers(managers);
  const md: JsonObject = { ...metadataOf(next) };
  const entries = encodeManagedFields(managers);
  if (entries.length > 0) md['managedFields'] = entries as unknown as JsonValue;
  else delete md['managedFields'];
  next['metadata'] = md;
  return next;
}
