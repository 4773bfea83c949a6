/**
 * The iproute2 programs the node's network code drives: `ip` and `bridge` in batch mode (one process for many
 * changes: a call costs ≈ 20 ms here) and in JSON mode for reading the current state. Failures come back as one
 * Error naming the command and its stderr.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** runWithInput runs `cmd args` with `input` on stdin and resolves with its stdout, or rejects with its stderr. */
export function runWithInput(cmd: string, args: readonly string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || `exit ${String(code)}`}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
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
  const table = readFileSync('/proc/self/net/dev', 'utf8');
  return table.split('\n').slice(2).some((line) => line.slice(0, line.indexOf(':')).trim() === name);
}
