/**
 * ManagedFields: `metadata.managedFields` decoded into one FieldSet per manager, and encoded back.
 *
 * A manager is identified as upstream does: by name, operation and subresource, plus the apiVersion for
 * `Update` managers (an applier keeps one entry whichever version it applies with). Encoded entries are sorted
 * as upstream sorts them: Apply before Update, then by time, manager, apiVersion and subresource. Entries whose
 * set is empty are dropped.
 */
import type { ManagedFieldsEntry } from '../meta/types.js';
import { fieldElement, FieldSet } from './field-set.js';

/** Operation is how a manager last wrote its fields. */
export type Operation = 'Apply' | 'Update';

/** ManagerInfo is a managedFields entry without its fields. */
export interface ManagerInfo {
  readonly manager: string;
  readonly operation: Operation;
  readonly apiVersion: string;
  readonly subresource: string;
  /** RFC 3339 time of the manager's last change, if known. */
  time: string | undefined;
}

/** ManagedEntry is one manager and the fields it owns. */
export interface ManagedEntry {
  readonly info: ManagerInfo;
  set: FieldSet;
  /** The decoded set and its fieldsV1 as read: re-encoding an unchanged set reuses them. */
  readonly decoded?: { readonly set: FieldSet; readonly fieldsV1: Record<string, unknown> };
}

/** managerId is the identity of a manager: entries with the same id are one manager. */
export function managerId(info: Pick<ManagerInfo, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([info.manager, info.operation, info.operation === 'Apply' ? '' : info.apiVersion, info.subresource]);
}

/** ManagedFields is the set of managers of one object, keyed by managerId. */
export type ManagedFields = Map<string, ManagedEntry>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * decodeManagedFields reads `metadata.managedFields`. Returns undefined when the value is not a valid list of
 * entries (upstream then falls back to the live object's entries).
 */
export function decodeManagedFields(value: unknown): ManagedFields | undefined {
  if (value === undefined || value === null) return new Map();
  if (!Array.isArray(value)) return undefined;
  const out: ManagedFields = new Map();
  for (const raw of value) {
    if (!isRecord(raw)) return undefined;
    const operation = raw['operation'];
    const apiVersion = raw['apiVersion'];
    if (operation !== 'Apply' && operation !== 'Update') return undefined;
    if (typeof apiVersion !== 'string' || apiVersion === '') return undefined;
    if (raw['fieldsType'] !== 'FieldsV1') return undefined;
    const info: ManagerInfo = {
      manager: typeof raw['manager'] === 'string' ? raw['manager'] : '',
      operation,
      apiVersion,
      subresource: typeof raw['subresource'] === 'string' ? raw['subresource'] : '',
      time: typeof raw['time'] === 'string' ? raw['time'] : undefined,
    };
    const set = FieldSet.fromFieldsV1(raw['fieldsV1']);
    const fieldsV1 = raw['fieldsV1'];
    out.set(managerId(info), { info, set, decoded: isRecord(fieldsV1) ? { set, fieldsV1 } : undefined });
  }
  return out;
}

/**
 * isResetManagedFields reports whether a client asks to clear managedFields: an empty list, or a list holding one
 * empty entry (upstream's two spellings).
 */
export function isResetManagedFields(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  if (value.length === 0) return true;
  return value.length === 1 && isRecord(value[0]) && Object.keys(value[0]).length === 0;
}

/** encodeManagedFields writes the entries with a non-empty set, in upstream's order. */
export function encodeManagedFields(managed: ManagedFields): ManagedFieldsEntry[] {
  const entries = [...managed.values()].filter((e) => !e.set.isEmpty());
  entries.sort((p, q) => {
    if (p.info.operation !== q.info.operation) return p.info.operation < q.info.operation ? -1 : 1;
    const pt = seconds(p.info.time);
    const qt = seconds(q.info.time);
    if (pt !== qt) return pt - qt;
    for (const key of ['manager', 'apiVersion', 'subresource'] as const) {
      if (p.info[key] !== q.info[key]) return p.info[key] < q.info[key] ? -1 : 1;
    }
    return 0;
  });
  return entries.map(({ info, set, decoded }) => {
    const entry: ManagedFieldsEntry = { manager: info.manager, operation: info.operation, apiVersion: info.apiVersion };
    if (info.time !== undefined) entry.time = info.time;
    entry.fieldsType = 'FieldsV1';
    entry.fieldsV1 = decoded !== undefined && decoded.set === set ? decoded.fieldsV1 : set.toFieldsV1();
    if (info.subresource !== '') entry.subresource = info.subresource;
    return entry;
  });
}

function seconds(time: string | undefined): number {
  if (time === undefined) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/**
 * STRIP_SET holds the fields nobody owns (upstream's stripMeta): type meta and the metadata the server sets.
 */
export const STRIP_SET: FieldSet = (() => {
  const set = new FieldSet();
  set.insert([fieldElement('apiVersion')]);
  set.insert([fieldElement('kind')]);
  set.insert([fieldElement('metadata')]);
  for (const name of ['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']) {
    set.insert([fieldElement('metadata'), fieldElement(name)]);
  }
  return set;
})();

/**
 * printManager renders a manager as upstream's conflict messages do: `"kubectl"`, `"kube-controller-manager"
 * with subresource "status"`, `"kubectl-edit" using apps/v1`.
 */
export function printManager(info: ManagerInfo): string {
  let out = JSON.stringify(info.manager);
  if (info.subresource !== '') out += ` with subresource ${JSON.stringify(info.subresource)}`;
  if (info.operation === 'Update') out += ` using ${info.apiVersion}`;
  return out;
}

/** MAX_UPDATE_MANAGERS is how many `Update` entries an object keeps before the oldest are merged, as upstream. */
export const MAX_UPDATE_MANAGERS = 10;

/** ANCIENT_CHANGES is the manager that collects the fields of merged old `Update` entries, per apiVersion. */
export const ANCIENT_CHANGES = 'ancient-changes';

/**
 * capUpdateManagers merges the oldest `Update` entries into one "ancient-changes" entry per apiVersion until at
 * most MAX_UPDATE_MANAGERS remain (upstream's capManagers), changing `managed` in place.
 */
export function capUpdateManagers(managed: ManagedFields): void {
  const updaters = [...managed.entries()].filter(([, e]) => e.info.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort(([ia, a], [ib, b]) => seconds(a.info.time) - seconds(b.info.time) || (ia < ib ? -1 : ia > ib ? 1 : 0));
  const firstByVersion = new Map<string, string>();
  let length = updaters.length;
  for (const [id, entry] of updaters) {
    if (length <= MAX_UPDATE_MANAGERS) break;
    const version = entry.info.apiVersion;
    const bucketInfo: ManagerInfo = { manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: version, subresource: '', time: entry.info.time };
    const bucketId = managerId(bucketInfo);
    const first = firstByVersion.get(version);
    if (first === undefined) {
      firstByVersion.set(version, id);
      continue;
    }
    let bucket = managed.get(bucketId);
    if (bucket === undefined) {
      const firstEntry = managed.get(first)!;
      managed.delete(first);
      bucket = { info: bucketInfo, set: firstEntry.set };
    }
    managed.set(bucketId, { info: bucketInfo, set: entry.set.union(bucket.set) });
    managed.delete(id);
    length--;
  }
}
