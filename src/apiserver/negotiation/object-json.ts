/**
 * objectJson: the JSON text of an API object, remembered per object. Objects held by the watch cache are
 * immutable (an update replaces the object, never changes it), so a LIST served from the cache serializes each
 * object once for its lifetime and builds the list body by joining the texts, instead of re-serializing every
 * object on every request. Callers must never pass an object they will mutate afterwards.
 */
import type { KubeList, KubeObject } from '../../api/meta/types.js';

const texts = new WeakMap<object, string>();

/** objectJson returns JSON.stringify(obj), computing it at most once per object. */
export function objectJson(obj: KubeObject): string {
  let t = texts.get(obj);
  if (t === undefined) {
    t = JSON.stringify(obj);
    texts.set(obj, t);
  }
  return t;
}

/** listJson renders a list as JSON.stringify would, reusing each item's remembered text. */
export function listJson(list: KubeList): string {
  const head = JSON.stringify({ kind: list.kind, apiVersion: list.apiVersion, metadata: list.metadata });
  const parts: string[] = [];
  for (const item of list.items) parts.push(objectJson(item));
  return `${head.slice(0, -1)},"items":[${parts.join(',')}]}`;
}
