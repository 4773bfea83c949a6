/**
 * Column definitions shared by the per-kind printers, and the cell formats they have in common (name, age,
 * container names and images, selectors).
 */
import type { KubeObject } from '../../api/meta/types.js';
import { obj, objects, str } from '../../api/validation/unstructured.js';
import type { TableColumnDefinition } from './table.js';

/** column builds a definition; `priority` 1 means `-o wide` only. */
export function column(name: string, opts: { type?: TableColumnDefinition['type']; format?: string; priority?: number; description?: string } = {}): TableColumnDefinition {
  return { name, type: opts.type ?? 'string', format: opts.format ?? '', description: opts.description ?? name, priority: opts.priority ?? 0 };
}

/** NAME_COLUMN is the first column of every table. */
export const NAME_COLUMN = column('Name', { format: 'name', description: 'Name must be unique within a namespace.' });
/** AGE_COLUMN shows the object's age. */
export const AGE_COLUMN = column('Age', { description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' });
/** CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN: the wide columns of workload kinds. */
export const CONTAINERS_COLUMN = column('Containers', { priority: 1, description: 'Names of each container in the template.' });
/** IMAGES_COLUMN lists template images. */
export const IMAGES_COLUMN = column('Images', { priority: 1, description: 'Images referenced by each container in the template.' });
/** SELECTOR_COLUMN shows the label selector. */
export const SELECTOR_COLUMN = column('Selector', { priority: 1, description: 'Label selector of the pods.' });
/** CREATED_AT_COLUMN is the RFC 3339 creation time used by RBAC and CRD tables. */
export const CREATED_AT_COLUMN = column('Created At', { type: 'date', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' });

/** nameOf returns metadata.name or "". */
export function nameOf(o: KubeObject): string {
  return o.metadata?.name ?? '';
}

/** podTemplateContainers returns `[names, images]` of a PodSpec's containers, comma-joined. */
export function containersAndImages(podSpec: unknown): [string, string] {
  const cs = objects(obj(podSpec)['containers']);
  return [cs.map((c) => str(c['name']) ?? '').join(','), cs.map((c) => str(c['image']) ?? '').join(',')];
}

/** intOr returns a number field or the fallback (0). */
export function intOr(v: unknown, fallback = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** orNone returns s, or `<none>` when empty/absent. */
export function orNone(s: string | undefined): string {
  return s ? s : '<none>';
}

/** listWithMore joins up to `max` items and appends ` + N more...` as upstream does; `empty` when there are none. */
export function listWithMore(items: readonly string[], max: number, empty: string, sep = ','): string {
  if (items.length === 0) return empty;
  const shown = items.slice(0, max).join(sep);
  return items.length > max ? `${shown} + ${items.length - max} more...` : shown;
}

/** formatBool renders a boolean pointer as upstream's printBoolPtr: True, False or <unset>. */
export function formatBool(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  return '<unset>';
}
