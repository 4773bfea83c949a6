/**
 * The shim binary: `shim.c` compiled with the machine's C compiler into `<root>/bin/tkube-shim-<hash>` on first use
 * (c-program.ts). A C program because one runs per container for the container's whole life: a Node process would
 * cost ~40 MB and ~40 ms of start per container.
 */
import { ensureCProgram } from '../../host/c-program.js';

/** ensureShimBinary compiles the shim when needed and resolves with its path. */
export function ensureShimBinary(binDir: string): Promise<string> {
  return ensureCProgram({ name: 'tkube-shim', source: 'shim.c', besideModule: import.meta.url }, binDir);
}
