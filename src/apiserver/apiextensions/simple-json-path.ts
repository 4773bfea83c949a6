/**
 * SimpleJsonPath: the JSONPath subset CRDs use in additionalPrinterColumns, selectableFields and the scale
 * subresource's paths: `.a.b`, `.a[0]`, `.a[*].b`, `.a[?(@.type=="Ready")].status` and `.a['dotted.key']`, with or
 * without the surrounding `{}`. Parsing reports an error as a value (CRD validation uses it); `find` returns every
 * value the path selects, in order.
 */

type Step =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'wildcard' }
  | { readonly kind: 'filter'; readonly path: readonly string[]; readonly op: '==' | '!='; readonly value: unknown };

/** SimpleJsonPath is one parsed path. */
export class SimpleJsonPath {
  readonly source: string;
  readonly #steps: readonly Step[];

  private constructor(source: string, steps: readonly Step[]) {
    this.source = source;
    this.#steps = steps;
  }

  /** parse parses a path or returns the reason it cannot. */
  static parse(source: string): SimpleJsonPath | { readonly error: string } {
    let text = source.trim();
    if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1).trim();
    if (text.startsWith('$')) text = text.slice(1);
    const steps: Step[] = [];
    let i = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '.') {
        const m = /^\.([A-Za-z0-9_\-$/]+)/.exec(text.slice(i));
        if (!m?.[1]) return { error: `unexpected character at ${i} in ${JSON.stringify(source)}` };
        steps.push({ kind: 'field', name: m[1] });
        i += m[0].length;
      } else if (c === '[') {
        const end = text.indexOf(']', i);
        if (end < 0) return { error: `unclosed [ in ${JSON.stringify(source)}` };
        const inner = text.slice(i + 1, end).trim();
        i = end + 1;
        if (inner === '*') steps.push({ kind: 'wildcard' });
        else if (/^\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
        else if (/^'[^']*'$/.test(inner) || /^"[^"]*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
        else {
          const f = /^\?\(@((?:\.[A-Za-z0-9_-]+)+)\s*(==|!=)\s*(.+)\)$/.exec(inner);
          if (!f?.[1] || !f[2] || f[3] === undefined) return { error: `unsupported expression [${inner}] in ${JSON.stringify(source)}` };
          let value: unknown;
          const raw = f[3].trim();
          try {
            value = JSON.parse(raw.startsWith("'") ? `"${raw.slice(1, -1)}"` : raw);
          } catch {
            return { error: `unsupported value ${raw} in ${JSON.stringify(source)}` };
          }
          steps.push({ kind: 'filter', path: f[1].slice(1).split('.'), op: f[2] as '==' | '!=', value });
        }
      } else {
        return { error: `unexpected character ${JSON.stringify(c)} at ${i} in ${JSON.stringify(source)}` };
      }
    }
    if (steps.length === 0) return { error: `empty path ${JSON.stringify(source)}` };
    return new SimpleJsonPath(source, steps);
  }

  /** find returns the selected values. */
  find(root: unknown): unknown[] {
    let current: unknown[] = [root];
    for (const step of this.#steps) {
      const next: unknown[] = [];
      for (const v of current) {
        if (step.kind === 'field') {
          if (typeof v === 'object' && v !== null && !Array.isArray(v) && step.name in v) next.push((v as Record<string, unknown>)[step.name]);
        } else if (step.kind === 'index') {
          if (Array.isArray(v) && step.index < v.length) next.push(v[step.index]);
        } else if (step.kind === 'wildcard') {
          if (Array.isArray(v)) next.push(...(v as unknown[]));
          else if (typeof v === 'object' && v !== null) next.push(...Object.values(v));
        } else if (Array.isArray(v)) {
          for (const item of v as unknown[]) {
            let x: unknown = item;
            for (const p of step.path) x = typeof x === 'object' && x !== null ? (x as Record<string, unknown>)[p] : undefined;
            if ((x === step.value) === (step.op === '==')) next.push(item);
          }
        }
      }
      current = next;
    }
    return current;
  }

  /** fieldNames returns the path as plain field names when it has only field steps (scale paths), else undefined. */
  fieldNames(): string[] | undefined {
    const names: string[] = [];
    for (const s of this.#steps) {
      if (s.kind !== 'field') return undefined;
      names.push(s.name);
    }
    return names;
  }
}
