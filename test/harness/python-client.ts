/**
 * Running Debian's python3-kubernetes from tests: whether it can run here, and a script that reports its steps as
 * JSON lines (`{"step": "<name>", ...}`), one per line, which `runPythonSteps` reads back by name.
 */
import assert from 'node:assert/strict';
import { runCommand } from './test-cluster.js';

/** PYTHON is Debian's interpreter, which has python3-kubernetes (not a virtualenv's). */
export const PYTHON = '/usr/bin/python3';

/** Step is one JSON line a script prints. */
export interface Step {
  readonly step: string;
  readonly [field: string]: unknown;
}

/** pythonClientMissing says why `module` of the Python client cannot be imported here, or undefined when it can. */
export async function pythonClientMissing(module = 'kubernetes'): Promise<string | undefined> {
  try {
    const r = await runCommand(PYTHON, ['-c', `import ${module}`], { timeoutMs: 30_000 });
    return r.code === 0 ? undefined : `${PYTHON} cannot import ${module} (apt-get install python3-kubernetes): ${r.stderr.trim().split('\n').at(-1) ?? ''}`;
  } catch (err) {
    return `${PYTHON} cannot run: ${String(err)}`;
  }
}

/**
 * runPythonSteps runs `script` with `args` (HOME set to `home`), asserts that it exited 0, and resolves with a
 * getter for its steps by name that fails the test, with the script's output, when a step is missing.
 */
export async function runPythonSteps(script: string, args: readonly string[], home: string): Promise<(name: string) => Step> {
  const r = await runCommand(PYTHON, [script, ...args], { timeoutMs: 60_000, env: { ...process.env, HOME: home } });
  assert.equal(r.code, 0, `script failed:\n${r.stdout}\n${r.stderr}`);
  const steps = new Map(
    r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Step)
      .map((s) => [s.step, s]),
  );
  return (name: string): Step => {
    const s = steps.get(name);
    assert.ok(s, `the script printed no "${name}" step:\n${r.stdout}\n${r.stderr}`);
    return s;
  };
}
