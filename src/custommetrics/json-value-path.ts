/**
 * JSON value paths for ExternalMetricSource: where a number sits in a JSON body. The syntax is the small, common
 * subset of JSONPath that names one value: an optional leading `$`, then `.field` or `["field"]` steps and `[index]`
 * steps (`$.queues[0].depth`, `.stats.backlog`, `data.items[2]["in flight"]`). A bare first field needs no dot.
 */

/** JsonPathStep is one step: an object field or an array index. */
export type JsonPathStep = { readonly field: string } | { readonly index: number };

/** parseJsonValuePath parses a path, or returns an error message describing the first bad character. */
export function parseJsonValuePath(path: string): { steps: JsonPathStep[] } | { error: string } {
  const steps: JsonPathStep[] = [];
  let i = path.startsWith('$') ? 1 : 0;
  if (path.trim() === '' || path === '$') return { error: 'the path is empty' };
  // A bare first field (`stats.backlog`) is read as if it started with a dot.
  let first = i === 0 && path[0] !== '.' && path[0] !== '[';
  while (i < path.length) {
    const c = path[i];
    if (c === '.' || first) {
      if (!first) i++;
      first = false;
      const m = /^[^.[\]]+/.exec(path.slice(i));
      if (!m) return { error: `expected a field name at position ${i}` };
      steps.push({ field: m[0] });
      i += m[0].length;
    } else if (c === '[') {
      const rest = path.slice(i);
      const index = /^\[([0-9]+)\]/.exec(rest);
      const quoted = /^\[(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\]/.exec(rest);
      if (index) {
        steps.push({ index: Number(index[1]) });
        i += index[0].length;
      } else if (quoted) {
        steps.push({ field: (quoted[1] ?? quoted[2] ?? '').replace(/\\(.)/g, '$1') });
        i += quoted[0].length;
      } else {
        return { error: `expected [index] or ["field"] at position ${i}` };
      }
    } else {
      return { error: `unexpected "${c ?? ''}" at position ${i}` };
    }
  }
  return { steps };
}

/** valueAtPath follows steps into a parsed JSON value; undefined when a step is missing. */
export function valueAtPath(root: unknown, steps: readonly JsonPathStep[]): unknown {
  let node = root;
  for (const step of steps) {
    if ('index' in step) {
      if (!Array.isArray(node)) return undefined;
      node = node[step.index];
    } else {
      if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, step.field)) return undefined;
      node = (node as Record<string, unknown>)[step.field];
    }
  }
  return node;
}

/** numberOf reads a metric value from JSON: a number, a numeric string or a boolean (1/0); else undefined. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}
