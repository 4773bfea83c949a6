/**
 * AgentProcess: one `tkube agent` child process of a test, with its output kept (the last 100 kB) and stopped by
 * its own pid — SIGTERM, then SIGKILL after 20 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { tkubeArgv } from './test-cluster.js';

/** AgentProcess runs `tkube agent ARGS`, optionally under a prefix command (which must exec it: same pid). */
export class AgentProcess {
  log = '';
  exited: string | undefined;
  readonly #child: ChildProcess;

  /** `prefix` is e.g. `nsenter --net=/run/netns/X --` to run the agent in a node host. */
  constructor(args: readonly string[], prefix: readonly string[] = []) {
    const [program, ...programArgs] = [...prefix, process.execPath, ...tkubeArgv(), 'agent', ...args];
    this.#child = spawn(program ?? process.execPath, programArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TKUBE_LOG_LEVEL: 'info' } });
    const keep = (d: string): void => void (this.log = (this.log + d).slice(-100_000));
    this.#child.stdout?.setEncoding('utf8').on('data', keep);
    this.#child.stderr?.setEncoding('utf8').on('data', keep);
    this.#child.once('exit', (code, signal) => (this.exited = String(signal ?? code)));
  }

  /** pid of the agent process (-1 if it never started). */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** signal sends a signal to the agent by its pid (SIGSTOP / SIGCONT freeze and thaw it: a partitioned node). */
  signal(signal: NodeJS.Signals): void {
    if (this.#child.pid !== undefined && this.#child.exitCode === null && this.#child.signalCode === null) process.kill(this.#child.pid, signal);
  }

  /** kill sends SIGKILL (after SIGCONT, in case it is stopped) and waits for the process to exit. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid, 'SIGCONT');
    process.kill(child.pid, 'SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    // A frozen agent (SIGSTOP) would never handle SIGTERM.
    process.kill(child.pid, 'SIGCONT');
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}
