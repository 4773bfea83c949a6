/**
 * The iproute2 programs the node's network code drives: `ip` and `bridge` in batch mode (one process for many
 * changes: a call costs ≈ 20 ms here), run through the agent's CommandRunner, and in JSON mode for reading the current state. Failures come back as one
 * Error naming the command and its stderr.
 */
import { readFileSync } from 'node:fs';
import { CommandError, hostCommands } from '../host/command-runner.js';

/**
 * runWithInput runs `cmd args` with `input` on stdin and resolves with its stdout, or rejects with its stderr. It
 * runs through the agent's CommandRunner (its co-process starts it, not the agent: see command-runner.ts).
 */
export async function runWithInput(cmd: string, args: readonly string[], input = ''): Promise<string> {
  try {
    return await hostCommands.run(cmd, args, { input });
  } catch (err) {
    const why = err instanceof CommandError ? err.stderr.trim() || `exit ${String(err.code)}` : err instanceof Error ? err.message : String(err);
    throw new Error(`${cmd} ${args.join(' ')} failed: ${why}`);
  }
}

/** ipBatch runs `ip [-n netns] -batch -` with one command per line (nothing when `lines` is empty). */
export async function ipBatch(netns: string | undefined, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await runWithInput('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], lines.join('\n') + '\n');
}

/** bridgeBatch runs `bridge -batch -` (FDB entries) with one command per line. */
export async function bridgeBatch(lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await runWithInput('bridge', ['-batch', '-'], lines.join('\n') + '\n');
}

/** ipJson runs `<cmd> -j args` and parses its output (an empty output is an empty list). */
export async function ipJson<T>(cmd: 'ip' | 'bridge', args: readonly string[]): Promise<T[]> {
  const out = (await runWithInput(cmd, ['-j', ...args])).trim();
  return out === '' ? [] : (JSON.parse(out) as T[]);
}

/**
 * linkExists tells whether this process's network namespace has a link named `name`. It reads /proc/self/net/dev,
 * which always shows the caller's namespace; /sys/class/net shows the namespace of whoever mounted /sys, which is
 * not ours when an agent runs inside a node host's namespace (`nsenter --net`).
 */
export function linkExists(name: string): boolean {
  return linkNames().has(name);
}

/** linkNames is every link of this process's network namespace (as linkExists reads them), for many checks at once. */
export function linkNames(): Set<string> {
  const table = readFileSync('/proc/self/net/dev', 'utf8');
  return new Set(
    table
      .split('\n')
      .slice(2)
      .map((line) => line.slice(0, line.indexOf(':')).trim())
      .filter((name) => name !== ''),
  );
}
