/**
 * A C program of the node's own (the runc runtime's shim, the host command helper), compiled from its source with the
 * machine's C compiler on first use, and again whenever the source changes: the binary's name carries the source's
 * hash, so a newer installation never runs an older build. The sources ship beside their modules, or in the
 * bundle's `data/` directory.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** CProgram names a program: its source file's name and where to look for it. */
export interface CProgram {
  /** The binary's name (before the hash), e.g. `tkube-shim`. */
  readonly name: string;
  /** The source file's name, e.g. `shim.c`. */
  readonly source: string;
  /** The calling module's `import.meta.url`: the source is looked for beside it, then in `./data/`. */
  readonly besideModule: string;
}

/** sourcePath finds the program's source beside the module (sources) or in the bundle's data dir. */
function sourcePath(program: CProgram): string {
  for (const candidate of [`./${program.source}`, `./data/${program.source}`]) {
    const path = fileURLToPath(new URL(candidate, program.besideModule));
    if (existsSync(path)) return path;
  }
  throw new Error(`Cannot build ${program.name}: ${program.source} is missing from the installation`);
}

/** ensureCProgram compiles the program into `binDir` when needed and resolves with the binary's path. */
export async function ensureCProgram(program: CProgram, binDir: string): Promise<string> {
  const path = sourcePath(program);
  const hash = createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12);
  const binary = join(binDir, `${program.name}-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(binDir, { recursive: true });
  const tmp = `${binary}.${process.pid}.tmp`;
  try {
    await run('cc', ['-O2', '-o', tmp, '-x', 'c', path]);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(`Cannot build ${program.name} with cc: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  }
  renameSync(tmp, binary);
  return binary;
}
