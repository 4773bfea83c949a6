/**
 * OperatorModule: the shape of a file `tkube server --operator PATH` and `tkube operator run PATH` load. Its
 * default export (or a named `setup`) receives a Manager, builds controllers on it (and may install CRDs) and
 * returns; the host then starts the manager. A module is loaded again when its file changes: setup must not keep
 * state outside the manager it is given.
 */
import type { Manager } from './manager.js';

/** OperatorSetup builds an operator's controllers on `manager`. */
export type OperatorSetup = (manager: Manager) => void | Promise<void>;

/** OperatorModule is what an operator file exports. */
export interface OperatorModule {
  readonly default?: OperatorSetup;
  readonly setup?: OperatorSetup;
  /** Names the operator (events, field manager, logs). @default the file name */
  readonly name?: string;
}

/** setupOf finds the setup function of a loaded module, or undefined when it has none. */
export function setupOf(mod: unknown): OperatorSetup | undefined {
  if (typeof mod !== 'object' || mod === null) return undefined;
  const m = mod as Record<string, unknown>;
  if (typeof m['default'] === 'function') return m['default'] as OperatorSetup;
  if (typeof m['setup'] === 'function') return m['setup'] as OperatorSetup;
  return undefined;
}
