/**
 * Host command cost (issue 6): the CPU per command of the node's CommandRunner with each co-process — the bash loop
 * and the compiled helper (src/agent/host/command-runner.ts) — for `/bin/true` (a path: bash's `true` is a builtin) and for `ip -batch -` of one line (what a
 * pod start runs), 8 at a time as a burst runs them, rounds alternating between the two. Run inside a cpuacct cgroup
 * of its own, so the figure is the whole group's: this process, the co-process and the commands.
 * Run: bench/in-cpuacct-cgroup.sh node --import tsx bench/host-commands.ts [--commands 400] [--rounds 3]
 * Prints one JSON line: per round and flavour, ms of CPU per command.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandRunner, useCompiledHelper, type RunOptions } from '../src/agent/host/command-runner.js';
import { numberArg } from './bench-args.js';

const COMMANDS = numberArg('--commands', 400);
const ROUNDS = numberArg('--rounds', 3);

/** groupCpuMs is the CPU of every process in this process's cpuacct cgroup, in ms. */
function groupCpuMs(): number {
  const path = /^\d+:cpuacct(?:,[^:]*)?:(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  if (path === undefined || path === '/') throw new Error('run inside a cpuacct cgroup of its own: bench/in-cpuacct-cgroup.sh node --import tsx bench/host-commands.ts');
  return Number(readFileSync(join('/sys/fs/cgroup/cpuacct', path, 'cpuacct.usage'), 'utf8')) / 1e6;
}

async function perCommandMs(runner: CommandRunner, cmd: string, args: readonly string[], options: RunOptions): Promise<number> {
  await runner.run(cmd, args, options);
  const c0 = groupCpuMs();
  for (let i = 0; i < COMMANDS; i += 8) await Promise.all(Array.from({ length: 8 }, () => runner.run(cmd, args, options)));
  return Math.round(((groupCpuMs() - c0) / COMMANDS) * 100) / 100;
}

const binDir = mkdtempSync(join(tmpdir(), 'tkube-bench-cmd-'));
const bash = new CommandRunner();
const compiled = new CommandRunner();
try {
  await useCompiledHelper(binDir, compiled);
  const rounds: Array<Record<string, Record<string, number>>> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const row: Record<string, Record<string, number>> = {};
    const order = round % 2 === 0 ? ([['bash', bash], ['compiled', compiled]] as const) : ([['compiled', compiled], ['bash', bash]] as const);
    for (const [name, runner] of order) {
      row[name] = { binTrue: await perCommandMs(runner, '/bin/true', [], {}), ipBatch: await perCommandMs(runner, 'ip', ['-batch', '-'], { input: 'link show lo\n' }) };
    }
    rounds.push(row);
  }
  console.log(JSON.stringify({ commands: COMMANDS, cpuMsPerCommand: rounds, loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') }));
} finally {
  bash.close();
  compiled.close();
  rmSync(binDir, { recursive: true, force: true });
}
