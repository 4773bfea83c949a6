/**
 * mergeApplied merges an applied configuration into a live object the way server-side apply does: objects and
 * granular maps key by key, map-lists item by item matched on their keys, set-lists as a union, and everything
 * atomic (scalars, atomic maps and lists, values without a schema that are not objects) replaced by the applied
 * value. Items only the live list has keep their place; shared and new items follow the applied order.
 *
 * The result may share unchanged subtrees with both inputs: treat all three as read-only afterwards.
 */
import type { ApplySchema } from './apply-schema.js';
import { listItemElements } from './list-item-element.js';
import { isJsonObject, setJsonProperty } from '../patch/json-value.js';
import type { JsonObject, JsonValue } from '../patch/json-value.js';

/** mergeApplied returns `live` with `applied` merged in, both at `node`. */
export function mergeApplied(live: JsonValue | undefined, applied: JsonValue, node: ApplySchema): JsonValue {
  if (live === undefined || live === null) return applied;
  if (isJsonObject(live) && isJsonObject(applied) && (node.kind === 'deduced' || (node.kind === 'map' && !node.atomic))) {
    return mergeObject(live, applied, node);
  }
  if (Array.isArray(live) && Array.isArray(applied) && node.kind === 'list' && node.listType !== 'atomic') {
    return mergeList(live, applied, node);
  }
  return applied;
}

function mergeObject(live: JsonObject, applied: JsonObject, node: ApplySchema): JsonObject {
  const out: JsonObject = { ...live };
  for (const key of Object.keys(applied)) {
    setJsonProperty(out, key, mergeApplied(Object.hasOwn(live, key) ? live[key] : undefined, applied[key]!, node.field(key)));
  }
  return out;
}

function mergeList(live: JsonValue[], applied: JsonValue[], node: ApplySchema): JsonValue[] {
  const itemNode = node.items();
  const liveByElement = new Map<string, JsonValue>();
  const liveElements = listItemElements(live, node);
  liveElements.forEach((element, i) => {
    if (!liveByElement.has(element)) liveByElement.set(element, live[i]!);
  });
  const appliedPosition = new Map<string, number>();
  const appliedElements = listItemElements(applied, node);
  appliedElements.forEach((element, i) => {
    if (!appliedPosition.has(element)) appliedPosition.set(element, i);
  });
  const out: JsonValue[] = [];
  const emitted = new Set<string>();
  let next = 0;
  const emitAppliedThrough = (last: number): void => {
    for (; next <= last; next++) {
      const element = appliedElements[next]!;
      if (emitted.has(element)) continue;
      emitted.add(element);
      out.push(mergeApplied(liveByElement.get(element), applied[next]!, itemNode));
    }
  };
  live.forEach((item, i) => {
    const element = liveElements[i]!;
    const position = appliedPosition.get(element);
    if (position === undefined) out.push(item);
    else emitAppliedThrough(position);
  });
  emitAppliedThrough(applied.length - 1);
  return out;
}
