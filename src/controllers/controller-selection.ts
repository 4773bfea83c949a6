/**
 * Controller selection: the `--controllers` flag of the controller manager, read like upstream's —
 * `*` turns on every controller enabled by default, `name` turns one on, `-name` turns one off; an explicit
 * entry wins over `*`, and an empty selection runs nothing. Unknown names and duplicate table rows are errors,
 * so a typo fails start-up instead of silently disabling a controller.
 */
import type { ControllerDescriptor } from './controller-descriptor.js';

/** parseControllerSelection splits a flag value like "*,-serviceaccount" into entries. */
export function parseControllerSelection(value: string | readonly string[]): string[] {
  const parts = typeof value === 'string' ? [value] : value;
  return parts.flatMap((p) => p.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

/** selectControllers returns the descriptors to run, in table order. Throws on duplicate rows or unknown names. */
export function selectControllers(table: readonly ControllerDescriptor[], selection: readonly string[]): ControllerDescriptor[] {
  const byName = new Map<string, ControllerDescriptor>();
  for (const d of table) {
    if (byName.has(d.name)) throw new Error(`Cannot register controller "${d.name}": the name is already registered`);
    byName.set(d.name, d);
  }
  const on = new Set<string>();
  const off = new Set<string>();
  let star = false;
  for (const entry of selection) {
    if (entry === '*') {
      star = true;
      continue;
    }
    const disable = entry.startsWith('-');
    const name = disable ? entry.slice(1) : entry;
    if (!byName.has(name)) {
      throw new Error(`Cannot select controller "${name}": unknown (known controllers: ${[...byName.keys()].join(', ')})`);
    }
    (disable ? off : on).add(name);
  }
  return table.filter((d) => on.has(d.name) || (star && d.enabledByDefault && !off.has(d.name)));
}
