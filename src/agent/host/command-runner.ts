/**
 * CommandRunner runs the node's short host commands (`ip -batch`, `mount`, `umount`, `ip netns delete`) through
 * one long-lived bash co-process instead of a spawn from Node each.
 *
 * Why: Node forks on its event loop thread, and a fork copies the page tables of the whole agent process (≈ 200 MB
 * with the API server beside it). Profiled during a 200-pod burst, ChildProcess.spawn was 37% of the server's busy
 * CPU, ≈ 25–30 ms of stalled event loop per command; a fork from bash (a few MB) costs well under a millisecond.
 *
 * Protocol (stdin of the helper): per request, NUL-terminated fields `id`, `stdin path`, `files` or `null` (where
 * the output goes), `argc`, then argc arguments. The helper runs each request in the background (requests overlap),
 * with stdout and stderr to `<dir>/<id>.out|.err` (or /dev/null), and answers `<id> <exit status>\n` on its stdout (one short write: lines never mix).
 * Files live on /dev/shm (a tmpfs) when it is there, and are removed once read; the helper removes its directory
 * when it ends (EOF on its stdin: the agent closed it or exited).
 *
 * Contract: `run` resolves with stdout on exit 0 and rejects with an Error carrying `stderr` and `code` (as
 * execFile's does) otherwise. If the helper cannot start or dies, pending commands reject and the next `run` starts
 * a new helper. No timeout: callers that need one (runc, which can hang on a wedged container) keep execFile.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { NO_POD_START_TRACE, type PodStartTrace } from '../pod-start-trace.js';

/** The helper's loop: read a request, run it in the background, report its exit status. */
const HELPER_SCRIPT = String.raw`set +m
d="$1"
while IFS= read -r -d '' id && IFS= read -r -d '' inp && IFS= read -r -d '' out && IFS= read -r -d '' n; do
  args=()
  for ((i = 0; i < n; i++)); do IFS= read -r -d '' a; args+=("$a"); done
  if [ "$out" = files ]; then o="$d/$id.out" e="$d/$id.err"; else o=/dev/null e=/dev/null; fi
  { "${'$'}{args[@]}" <"$inp" >"$o" 2>"$e"; echo "$id $?"; } &
done
wait
rm -rf "$d"
`;

/** CommandError is a command's failure, shaped as execFile's (callers read `stderr`). */
export class CommandError extends Error {
  readonly stderr: string;
  readonly code: number | undefined;
  constructor(message: string, stderr: string, code: number | undefined) {
    super(message);
    this.name = 'CommandError';
    this.stderr = stderr;
    this.code = code;
  }
}

interface Pending {
  readonly cmd: string;
  readonly args: readonly string[];
  readonly inputPath: string | undefined;
  readonly resolve: (stdout: string) => void;
  readonly reject: (err: Error) => void;
  /** Ends the command's step in the trace. */
  readonly traced: () => void;
}

type Helper = ChildProcessByStdio<Writable, Readable, null>;

/** CommandRunner: see the file comment. */
export class CommandRunner {
  readonly #pending = new Map<string, Pending>();
  #helper: Helper | undefined;
  #dir: string | undefined;
  #seq = 0;
  #buffered = '';
  /** Each command is a step of key `cmd` named after the program (pod-start-trace.ts). */
  trace: PodStartTrace = NO_POD_START_TRACE;

  /** run runs `cmd args` (with `input` on stdin) and resolves with its stdout; see the contract above. */
  run(cmd: string, args: readonly string[], input?: string): Promise<string> {
    return this.#request(cmd, args, input, true);
  }

  /**
   * startSelfDetaching runs a program that detaches itself (forks, its parent exiting at once: `tkube-shim -d`, which
   * also starts a session of its own), with its stdio on /dev/null, and resolves once that parent has exited 0: a
   * long-lived process (a container's shim) that outlives the agent, with no `setsid` or `env` process in between.
   */
  async startSelfDetaching(cmd: string, args: readonly string[]): Promise<void> {
    await this.#request(cmd, args, undefined, false);
  }

  #request(cmd: string, args: readonly string[], input: string | undefined, captureOutput: boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      let helper: Helper;
      let dir: string;
      try {
        ({ helper, dir } = this.#ensureHelper());
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      // Fields are NUL-terminated on the wire: an argument holding a NUL (a pod spec's path can) would shift
      // every field after it, so it is refused here, as execFile refuses it.
      if ([cmd, ...args].some((a) => a.includes('\0'))) {
        reject(new CommandError(`${cmd}: an argument contains a NUL character`, '', undefined));
        return;
      }
      const id = String(++this.#seq);
      const inputPath = input === undefined ? undefined : join(dir, `${id}.in`);
      if (inputPath !== undefined) writeFileSync(inputPath, input ?? '');
      this.#pending.set(id, { cmd, args, inputPath, resolve, reject, traced: this.trace.begin('cmd', traceName(cmd, args)) });
      // A command under way keeps the process alive (its answer is awaited); an idle helper does not.
      if (this.#pending.size === 1) refStream(helper.stdout, true);
      helper.stdin.write([id, inputPath ?? '/dev/null', captureOutput ? 'files' : 'null', String(args.length + 1), cmd, ...args].map((f) => `${f}\0`).join(''));
    });
  }

  /** close ends the helper (commands under way finish on their own; their answers are dropped). */
  close(): void {
    this.#helper?.stdin.end();
    this.#helper = undefined;
    this.#failAll(new Error('the host command runner was closed'));
  }

  #ensureHelper(): { helper: Helper; dir: string } {
    if (this.#helper && this.#dir !== undefined) return { helper: this.#helper, dir: this.#dir };
    const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tkube-cmd-'));
    const helper = spawn('bash', ['-c', HELPER_SCRIPT, 'tkube-command-runner', dir], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.#helper = helper;
    this.#dir = dir;
    this.#buffered = '';
    // The helper must not keep the agent alive, nor outlive it: it ends at EOF on its stdin.
    helper.unref();
    refStream(helper.stdin, false);
    refStream(helper.stdout, false);
    helper.stdin.on('error', () => undefined);
    helper.stdout.setEncoding('utf8').on('data', (chunk: string) => this.#onAnswers(dir, chunk));
    const gone = (why: string): void => {
      // Commands the helper started may still write their files for a moment; what is left goes with the dir.
      rmSync(dir, { recursive: true, force: true });
      if (this.#helper !== helper) return;
      this.#helper = undefined;
      this.#failAll(new Error(`the host command runner ended (${why})`));
    };
    helper.once('error', (err) => gone(err.message));
    helper.once('exit', (code, signal) => gone(`exit ${code ?? signal}`));
    return { helper, dir };
  }

  #onAnswers(dir: string, chunk: string): void {
    this.#buffered += chunk;
    let nl: number;
    while ((nl = this.#buffered.indexOf('\n')) >= 0) {
      const line = this.#buffered.slice(0, nl);
      this.#buffered = this.#buffered.slice(nl + 1);
      const [id = '', status = ''] = line.split(' ');
      const p = this.#pending.get(id);
      if (!p) continue;
      p.traced();
      this.#pending.delete(id);
      if (this.#pending.size === 0 && this.#helper) refStream(this.#helper.stdout, false);
      const take = (suffix: string): string => {
        const path = join(dir, `${id}${suffix}`);
        try {
          const text = readFileSync(path, 'utf8');
          unlinkSync(path);
          return text;
        } catch {
          return '';
        }
      };
      const stdout = take('.out');
      const stderr = take('.err');
      if (p.inputPath !== undefined) rmSync(p.inputPath, { force: true });
      const code = Number(status);
      if (code === 0) p.resolve(stdout);
      else p.reject(new CommandError(`Command failed: ${[p.cmd, ...p.args].join(' ')}\n${stderr}`, stderr, Number.isFinite(code) ? code : undefined));
    }
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) {
      if (p.inputPath !== undefined) rmSync(p.inputPath, { force: true });
      p.reject(err);
    }
    this.#pending.clear();
  }
}

/** traceName names a command in the trace: the program, and for `timeout … runc --root R <verb>` runc's verb. */
function traceName(cmd: string, args: readonly string[]): string {
  return cmd === 'timeout' && args[4] === '--root' ? `runc ${args[6] ?? ''}` : cmd;
}

/** refStream refs or unrefs a pipe (net.Socket) so that it does, or does not, hold the event loop open. */
function refStream(stream: Readable | Writable, ref: boolean): void {
  const socket = stream as unknown as { ref?: () => void; unref?: () => void };
  if (ref) socket.ref?.();
  else socket.unref?.();
}

/** hostCommands is the agent's one runner (a process-wide helper, started on first use). */
export const hostCommands = new CommandRunner();
