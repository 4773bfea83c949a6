/**
 * ChildScript: a helper process started with tsx (bench's raw reference servers and watcher swarms, the overload
 * suite's flood client), talking to its parent over one JSON line on stdout at start-up and over IPC afterwards.
 * Stopped by its own pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Script paths are relative to the repository's root (this file is test/harness/child-script.ts). */
const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');

/** ChildScriptOptions tune how a helper starts. */
export interface ChildScriptOptions {
  /** How long to wait for its first line. @default 60000 */
  readonly timeoutMs?: number;
  /**
   * Run it in a session of its own (`setsid`): Linux groups the CPU time of a session's processes (sched autogroup),
   * so a busy helper in the caller's session takes its CPU from the caller's share, as a client on another machine
   * does not. @default false
   */
  readonly ownSession?: boolean;
}

/** ChildScript is one running helper. */
export class ChildScript {
  readonly #child: ChildProcess;
  #stderr = '';

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.#stderr = (this.#stderr + d).slice(-20_000)));
  }

  /** start runs `script` (a path from the repository's root) with args and resolves with the first JSON line it prints. */
  static async start<T>(script: string, args: readonly string[], opts: ChildScriptOptions = {}): Promise<{ child: ChildScript; hello: T }> {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const proc = spawn(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, script), ...args], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'], detached: opts.ownSession ?? false });
    const child = new ChildScript(proc);
    try {
      const hello = await new Promise<T>((done, fail) => {
        let out = '';
        const timer = setTimeout(() => fail(new Error(`Cannot start ${script}: no greeting within ${timeoutMs} ms:\n${child.#stderr}`)), timeoutMs);
        proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const nl = out.indexOf('\n');
          if (nl < 0) return;
          clearTimeout(timer);
          done(JSON.parse(out.slice(0, nl)) as T);
        });
        proc.once('exit', (code) => {
          clearTimeout(timer);
          fail(new Error(`Cannot start ${script}: it exited with ${code}:\n${child.#stderr}`));
        });
      });
      return { child, hello };
    } catch (err) {
      await child.stop();
      throw err;
    }
  }

  /** pid of the helper. */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** send posts an IPC message to the helper. */
  send(message: unknown): void {
    this.#child.send?.(message as object);
  }

  /** onMessage calls listener with every IPC message of the helper until the returned function is called. */
  onMessage(listener: (m: unknown) => void): () => void {
    this.#child.on('message', listener);
    return () => this.#child.off('message', listener);
  }

  /** next resolves with the helper's next IPC message that satisfies accept. */
  next<T>(accept: (m: unknown) => m is T, timeoutMs = 60_000): Promise<T> {
    return new Promise((done, fail) => {
      const onMessage = (m: unknown): void => {
        if (!accept(m)) return;
        cleanup();
        done(m);
      };
      const onExit = (code: number | null): void => {
        cleanup();
        fail(new Error(`Cannot wait for a helper message: the helper exited with ${code}:\n${this.#stderr}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        fail(new Error(`Cannot wait for a helper message: none within ${timeoutMs} ms:\n${this.#stderr}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#child.off('message', onMessage);
        this.#child.off('exit', onExit);
      };
      this.#child.on('message', onMessage);
      this.#child.on('exit', onExit);
    });
  }

  /** stop closes the helper's stdin, then kills it by pid if it has not exited within 5 s. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
