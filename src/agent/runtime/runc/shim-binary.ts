/**
 * The shim binary: `shim.c` compiled with the machine's C compiler into `<root>/bin/tkube-shim` on first use, and
 * again whenever the source changes (the binary's name carries the source's hash). A C program because one runs
 * per container for the container's whole life: a Node process would cost ~40 MB and ~40 ms of start per container.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** shimSourcePath finds shim.c beside this module (sources) or in the bundle's data dir. */
function shimSourcePath(): string {
  for (const candidate of ['./shim.c', './data/shim.c']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('Cannot build the container shim: shim.c is missing from the installation');
}

/** ensureShimBinary compiles the shim when needed and resolves with its path. */
export async function ensureShimBinary(binDir: string): Promise<string> {
  const source = readFileSync(shimSourcePath());
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const binary = join(binDir, `tkube-shim-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(binDir, { recursive: true });
  const tmp = `${binary}.${process.pid}.tmp`;
  try {
    await run('cc', ['-O2', '-o', tmp, '-x', 'c', shimSourcePath()]);
  } catch (err) {
    throw new Error(`Cannot build the container shim with cc: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  }
  renameSync(tmp, binary);
  return binary;
}
