/**
 * OperatorModule: the shape of a file `tkube server --operator PATH` and `tkube operator run PATH` load. Its
 * `setup` export (or its default export) receives a Manager, builds controllers on it (and may install CRDs) and
 * returns; the host then starts the manager. A module is loaded again when its file changes: setup must not keep
 * state outside the manager it is given.
 */
import type { Manager } from './manager.js';

/** OperatorSetup builds an operator's controllers on `manager`. */
export type OperatorSetup = (manager: Manager) => void | Promise<void>;

/** OperatorModule is what an operator file exports. */
export interface OperatorModule {
  readonly setup?: OperatorSetup;
  /** Used when there is no `setup` export. */
  readonly default?: OperatorSetup;
  /** Names the operator (events, field manager, logs). @default the file name */
  readonly name?: string;
}

/**
 * moduleExports unwraps a module loaded as CommonJS (a .ts file outside a `"type": "module"` package is compiled
 * to CommonJS by tsx, and its exports arrive as the namespace's `default`).
 */
function moduleExports(mod: unknown): Record<string, unknown> | undefined {
  if (typeof mod !== 'object' || mod === null) return undefined;
  const m = mod as Record<string, unknown>;
  const inner = m['default'];
  if (typeof inner === 'object' && inner !== null && (typeof (inner as Record<string, unknown>)['default'] === 'function' || typeof (inner as Record<string, unknown>)['setup'] === 'function')) {
    return inner as Record<string, unknown>;
  }
  return m;
}

/** setupOf finds the setup function of a loaded module, or undefined when it has none. */
export function setupOf(mod: unknown): OperatorSetup | undefined {
  const m = moduleExports(mod);
  if (typeof m?.['setup'] === 'function') return m['setup'] as OperatorSetup;
  if (typeof m?.['default'] === 'function') return m['default'] as OperatorSetup;
  return undefined;
}

/** operatorNameOf is the module's exported `name`, if it is a non-empty string. */
export function operatorNameOf(mod: unknown): string | undefined {
  const name = moduleExports(mod)?.['name'];
  return typeof name === 'string' && name !== '' ? name : undefined;
}
