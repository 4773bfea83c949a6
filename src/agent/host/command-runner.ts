/**
 * CommandRunner runs the node's short host commands (`ip -batch`, `mount`, `umount`, `ip netns delete`, runc's
 * `kill` and `delete`, a container's shim) through one long-lived co-process instead of a spawn from Node each.
 *
 * Why: Node forks on its event loop thread, and a fork copies the page tables of the whole agent process (≈ 200 MB
 * with the API server beside it). Profiled during a 200-pod burst, ChildProcess.spawn was 37% of the server's busy
 * CPU, ≈ 25–30 ms of stalled event loop per command; a spawn from a small co-process costs well under a millisecond.
 *
 * The co-process is the compiled helper (command-helper.c, one posix_spawn per command, output in memory files,
 * tmpfs mounts and unmounts as system calls of its own) once `useHelperProgram` has named it; until then, or where
 * no C compiler is, a bash loop (below) that forks twice per command and passes output through files on /dev/shm.
 * Both answer the same contract.
 *
 * Contract: `run` resolves with stdout on exit 0 and rejects with a CommandError carrying `stderr` and `code` (as
 * execFile's does) otherwise. With `timeoutMs` the command gets SIGTERM at the deadline and SIGKILL 5 s later (exit
 * code 124, or 137 after the SIGKILL, as coreutils' `timeout -k 5` reports). Output is not limited: the commands
 * run here print little. If the co-process cannot start or dies, the commands it was running reject and the next
 * request starts a new one.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { NO_POD_START_TRACE, type PodStartTrace } from '../pod-start-trace.js';
import { ensureCProgram } from './c-program.js';

/**
 * The bash helper's loop: read a request, run it in the background, report its exit status. Protocol (its stdin):
 * per request, NUL-terminated fields `id`, `stdin path`, `files` or `null` (where the output goes), `argc`, then argc
 * arguments; stdout and stderr go to `<dir>/<id>.out|.err` (or /dev/null), and it answers `<id> <exit status>\n` (one
 * short write: lines never mix). It ends at EOF on its stdin once its commands have answered; the runner removes
 * the directory when the helper's stdout has closed (see #ensureHelper).
 */
const BASH_HELPER_SCRIPT = String.raw`set +m
d="$1"
while IFS= read -r -d '' id && IFS= read -r -d '' inp && IFS= read -r -d '' out && IFS= read -r -d '' n; do
  args=()
  for ((i = 0; i < n; i++)); do IFS= read -r -d '' a; args+=("$a"); done
  if [ "$out" = files ]; then o="$d/$id.out" e="$d/$id.err"; else o=/dev/null e=/dev/null; fi
  { "${'$'}{args[@]}" <"$inp" >"$o" 2>"$e"; echo "$id $?"; } &
done
wait
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

/** RunOptions qualify a `run`. */
export interface RunOptions {
  /** Written to the command's stdin (else /dev/null). */
  readonly input?: string;
  /** SIGTERM after this long, SIGKILL 5 s later (see the contract). */
  readonly timeoutMs?: number;
}

/** What a request asks: a command whose output is captured, one that detaches itself, or a mount system call. */
type Request =
  | { readonly kind: 'run'; readonly argv: readonly string[]; readonly input: string | undefined; readonly timeoutMs: number }
  | { readonly kind: 'detach'; readonly argv: readonly string[] }
  | { readonly kind: 'mount'; readonly fstype: string; readonly source: string; readonly target: string; readonly options: string }
  | { readonly kind: 'umount'; readonly target: string; readonly lazy: boolean };

interface Pending {
  readonly helper: Helper;
  /** How the request reads in an error message. */
  readonly what: string;
  /** The bash helper's input file, removed when the command ends. */
  readonly inputPath: string | undefined;
  readonly resolve: (stdout: string) => void;
  readonly reject: (err: Error) => void;
  /** Ends the command's step in the trace. */
  readonly traced: () => void;
}

/** Helper is one running co-process. */
interface Helper {
  readonly proc: ChildProcessByStdio<Writable, Readable, null>;
  /** Compiled (command-helper.c's protocol) or bash (BASH_HELPER_SCRIPT's, with files in `dir`). */
  readonly compiled: boolean;
  readonly dir: string | undefined;
  /** Unparsed answer bytes. */
  buffered: Buffer;
}

/** CommandRunner: see the file comment. */
export class CommandRunner {
  readonly #pending = new Map<string, Pending>();
  #helper: Helper | undefined;
  #program: string | undefined;
  #seq = 0;
  /** Each command is a step of key `cmd` named after the program (pod-start-trace.ts). */
  trace: PodStartTrace = NO_POD_START_TRACE;

  /**
   * useHelperProgram makes the compiled helper at `path` (command-helper.c) the co-process from the next request
   * on; commands under way finish in the one that runs them, which then ends.
   */
  useHelperProgram(path: string): void {
    if (this.#program === path) return;
    this.#program = path;
    this.#retire();
  }

  /** run runs `cmd args` and resolves with its stdout; see the contract above. */
  run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
    return this.#request({ kind: 'run', argv: [cmd, ...args], input: options.input, timeoutMs: options.timeoutMs ?? 0 });
  }

  /**
   * startSelfDetaching runs a program that detaches itself (forks, its parent exiting at once: `tkube-shim -d`, which
   * also starts a session of its own), with its stdio on /dev/null, and resolves once that parent has exited 0: a
   * long-lived process (a container's shim) that outlives the agent, with no `setsid` or `env` process in between.
   */
  async startSelfDetaching(cmd: string, args: readonly string[]): Promise<void> {
    await this.#request({ kind: 'detach', argv: [cmd, ...args] });
  }

  /**
   * mount mounts `source` of type `fstype` on `target` with mount(8)'s comma-separated `options` (flag words such as
   * `nosuid`, the rest passed to the file system): a mount(2) of the compiled helper's, or a `mount` run. A failure
   * rejects with a CommandError of code 32, as mount(8) exits.
   */
  async mount(fstype: string, source: string, target: string, options: string): Promise<void> {
    await this.#request({ kind: 'mount', fstype, source, target, options });
  }

  /** umount unmounts `target` (with `lazy`, detaching it now and freeing it when its last user goes). */
  async umount(target: string, lazy = false): Promise<void> {
    await this.#request({ kind: 'umount', target, lazy });
  }

  #request(req: Request): Promise<string> {
    return new Promise((resolve, reject) => {
      const fields = req.kind === 'run' || req.kind === 'detach' ? req.argv : req.kind === 'mount' ? [req.fstype, req.source, req.target, req.options] : [req.target];
      // Fields are NUL-terminated on the wire: an argument holding a NUL (a pod spec's path can) would shift
      // every field after it, so it is refused here, as execFile refuses it.
      if (fields.some((a) => a.includes('\0'))) {
        reject(new CommandError(`${fields[0] ?? ''}: an argument contains a NUL character`, '', undefined));
        return;
      }
      let helper: Helper;
      try {
        helper = this.#ensureHelper();
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const id = String(++this.#seq);
      const what = describe(req);
      let wire: string;
      let inputPath: string | undefined;
      if (helper.compiled) {
        const argv = req.kind === 'umount' ? [req.target, ...(req.lazy ? ['-l'] : [])] : fields;
        const input = req.kind === 'run' ? (req.input ?? '') : '';
        const timeoutMs = req.kind === 'run' ? Math.max(0, Math.ceil(req.timeoutMs)) : 0;
        wire = [id, req.kind, String(timeoutMs), String(Buffer.byteLength(input)), String(argv.length), ...argv].map((f) => `${f}\0`).join('') + input;
      } else {
        const argv = bashArgv(req);
        const input = req.kind === 'run' ? req.input : undefined;
        if (input !== undefined && helper.dir !== undefined) {
          inputPath = join(helper.dir, `${id}.in`);
          writeFileSync(inputPath, input);
        }
        wire = [id, inputPath ?? '/dev/null', req.kind === 'detach' ? 'null' : 'files', String(argv.length), ...argv].map((f) => `${f}\0`).join('');
      }
      const traced = this.trace.begin('cmd', traceName(req));
      this.#pending.set(id, { helper, what, inputPath, resolve, reject, traced });
      // A command under way keeps the process alive (its answer is awaited); an idle helper does not.
      refStream(helper.proc.stdout, true);
      helper.proc.stdin.write(wire);
    });
  }

  /** close ends the helper (commands under way finish on their own; their answers are dropped). */
  close(): void {
    const helper = this.#helper;
    this.#helper = undefined;
    helper?.proc.stdin.end();
    if (helper) this.#failAll(helper, new Error('the host command runner was closed'));
  }

  /** #retire lets the running helper finish what it runs and end; the next request starts the new one. */
  #retire(): void {
    const helper = this.#helper;
    if (!helper) return;
    this.#helper = undefined;
    if (helper.compiled) {
      // It would exit at EOF before answering: it ends once the last of its answers came (#settle).
      if (!this.#busy(helper)) helper.proc.stdin.end();
    } else {
      // The bash loop answers what runs before it exits.
      helper.proc.stdin.end();
    }
  }

  #ensureHelper(): Helper {
    if (this.#helper) return this.#helper;
    const compiled = this.#program !== undefined;
    const dir = compiled ? undefined : mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tkube-cmd-'));
    const proc = compiled
      ? spawn(this.#program ?? '', [], { stdio: ['pipe', 'pipe', 'ignore'] })
      : spawn('bash', ['-c', BASH_HELPER_SCRIPT, 'tkube-command-runner', dir ?? ''], { stdio: ['pipe', 'pipe', 'ignore'] });
    const helper: Helper = { proc, compiled, dir, buffered: Buffer.alloc(0) };
    this.#helper = helper;
    // The helper must not keep the agent alive, nor outlive it: it ends at EOF on its stdin.
    proc.unref();
    refStream(proc.stdin, false);
    refStream(proc.stdout, false);
    proc.stdin.on('error', () => undefined);
    proc.stdout.on('data', (chunk: Buffer) => {
      helper.buffered = helper.buffered.length === 0 ? chunk : Buffer.concat([helper.buffered, chunk]);
      if (compiled) this.#onCompiledAnswers(helper);
      else this.#onBashAnswers(helper);
    });
    const gone = (why: string): void => {
      // Commands the bash helper started may still write their files for a moment; what is left goes with the dir.
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      if (this.#helper === helper) this.#helper = undefined;
      this.#failAll(helper, new Error(`the host command runner ended (${why})`));
    };
    proc.once('error', (err) => gone(err.message));
    // 'close', not 'exit': a helper's last answers may still be unread in its stdout when it exits, and the bash
    // helper's output files must outlive them (the dir is removed here, after every answer was read).
    proc.once('close', (code, signal) => gone(`exit ${code ?? signal}`));
    return helper;
  }

  /** #onCompiledAnswers takes each whole `<id> <status> <out length> <err length>\n<out><err>` answer. */
  #onCompiledAnswers(helper: Helper): void {
    for (;;) {
      const buf = helper.buffered;
      const nl = buf.indexOf(10);
      if (nl < 0) return;
      const [id = '', status = '', outLen = '0', errLen = '0'] = buf.toString('latin1', 0, nl).split(' ');
      const outEnd = nl + 1 + Number(outLen);
      const errEnd = outEnd + Number(errLen);
      if (buf.length < errEnd) return;
      const stdout = buf.toString('utf8', nl + 1, outEnd);
      const stderr = buf.toString('utf8', outEnd, errEnd);
      helper.buffered = buf.subarray(errEnd);
      this.#settle(helper, id, Number(status), stdout, stderr);
    }
  }

  /** #onBashAnswers takes each `<id> <status>\n` line, the output from the command's files. */
  #onBashAnswers(helper: Helper): void {
    let nl: number;
    while ((nl = helper.buffered.indexOf(10)) >= 0) {
      const [id = '', status = ''] = helper.buffered.toString('latin1', 0, nl).split(' ');
      helper.buffered = helper.buffered.subarray(nl + 1);
      if (!this.#pending.has(id)) continue;
      const take = (suffix: string): string => {
        const path = join(helper.dir ?? '', `${id}${suffix}`);
        try {
          const text = readFileSync(path, 'utf8');
          unlinkSync(path);
          return text;
        } catch {
          return '';
        }
      };
      this.#settle(helper, id, Number(status), take('.out'), take('.err'));
    }
  }

  #settle(helper: Helper, id: string, code: number, stdout: string, stderr: string): void {
    const p = this.#pending.get(id);
    if (!p) return;
    p.traced();
    this.#pending.delete(id);
    if (p.inputPath !== undefined) rmSync(p.inputPath, { force: true });
    if (!this.#busy(helper)) {
      refStream(helper.proc.stdout, false);
      // A retired compiled helper ends once it has answered everything it ran.
      if (helper !== this.#helper && helper.compiled) helper.proc.stdin.end();
    }
    if (code === 0) p.resolve(stdout);
    else p.reject(new CommandError(`Command failed: ${p.what}\n${stderr}`, stderr, Number.isFinite(code) ? code : undefined));
  }

  #busy(helper: Helper): boolean {
    for (const p of this.#pending.values()) if (p.helper === helper) return true;
    return false;
  }

  #failAll(helper: Helper, err: Error): void {
    for (const [id, p] of this.#pending) {
      if (p.helper !== helper) continue;
      if (p.inputPath !== undefined) rmSync(p.inputPath, { force: true });
      this.#pending.delete(id);
      p.reject(err);
    }
  }
}

/** bashArgv is the program the bash helper runs for a request: mount(8), umount(8), coreutils' timeout. */
function bashArgv(req: Request): readonly string[] {
  switch (req.kind) {
    case 'run':
      return req.timeoutMs > 0 ? ['timeout', '-k', '5', String(Math.ceil(req.timeoutMs / 1000)), ...req.argv] : req.argv;
    case 'detach':
      return req.argv;
    case 'mount':
      return ['mount', '-t', req.fstype, '-o', req.options, req.source, req.target];
    case 'umount':
      return ['umount', ...(req.lazy ? ['-l'] : []), req.target];
  }
}

/** describe is a request as a command line, for error messages. */
function describe(req: Request): string {
  switch (req.kind) {
    case 'run':
    case 'detach':
      return req.argv.join(' ');
    case 'mount':
      return `mount -t ${req.fstype} -o ${req.options} ${req.source} ${req.target}`;
    case 'umount':
      return `umount ${req.lazy ? '-l ' : ''}${req.target}`;
  }
}

/** traceName names a command in the trace: the program, and for `runc --root R <verb>` runc's verb. */
function traceName(req: Request): string {
  if (req.kind === 'mount' || req.kind === 'umount') return req.kind;
  const [cmd = '', ...args] = req.argv;
  return /(^|\/)runc$/.test(cmd) && args[0] === '--root' ? `runc ${args[2] ?? ''}` : cmd;
}

/** refStream refs or unrefs a pipe (net.Socket) so that it does, or does not, hold the event loop open. */
function refStream(stream: Readable | Writable, ref: boolean): void {
  const socket = stream as unknown as { ref?: () => void; unref?: () => void };
  if (ref) socket.ref?.();
  else socket.unref?.();
}

/** hostCommands is the agent's one runner (a process-wide helper, started on first use). */
export const hostCommands = new CommandRunner();

/**
 * useCompiledHelper compiles command-helper.c into `binDir` (once per version of its source) and makes it the
 * agent's runner's co-process. Without a C compiler the bash helper stays, and the error says why.
 */
export async function useCompiledHelper(binDir: string, runner: CommandRunner = hostCommands): Promise<void> {
  runner.useHelperProgram(await ensureCProgram({ name: 'tkube-command-helper', source: 'command-helper.c', besideModule: import.meta.url }, binDir));
}
