/**
 * NftSession: one long-lived `nft -i` (interactive) process that takes small nft transactions over stdin, so an
 * incremental proxy sync costs no process start. Starting nft from a Node process with a large heap (fork, exec,
 * dynamic linking, exit) costs more than the transaction itself; measured with a 1,100-chain table under load it was
 * about 70 ms per `nft -f` against 17 ms through this session (docs/benchmarks.md, issue 7).
 *
 * Contracts:
 *  - `run(script)` applies a script of one-line commands (`add …`, `delete …`, `flush …`) as ONE transaction: the
 *    lines are joined with `;` into a single input line, which nft parses and commits as one batch (in interactive
 *    mode every input line is its own batch). Multi-line blocks (`table x { … }`) are not accepted here.
 *  - The result is a value: `{ ok: true }`, or `{ ok: false, message }` with nft's own error lines (or why nft could
 *    not be run). A failure of the process itself (exit, no answer in `timeoutMs`) ends it; the next `run` starts a
 *    new one. Calls are serialised by the caller (a proxier never overlaps its syncs); a call while another is in
 *    flight is answered with an error rather than queued.
 *  - How the end of a transaction is seen: nft prints nothing on success, so every transaction is followed by a
 *    marker line that is a syntax error (`tkube-sync-<n>`); nft echoes it on stderr after whatever the transaction
 *    printed. The marker never reaches the kernel.
 *  - nft reads interactive input one byte per read(2), so long scripts are cheaper through `nft -f`: callers send
 *    only small diffs here (see `NftSession.maxScriptBytes`).
 *  - The process does not keep Node alive while idle, and exits by itself when its stdin closes (Node exiting);
 *    `close()` ends it explicitly.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** NftSessionConfig constructs an NftSession. */
export interface NftSessionConfig {
  /** @default "nft" */
  readonly nftPath?: string;
  /** Run nft in this named network namespace (`ip netns exec`). */
  readonly netns?: string;
  /** How long one transaction may take before the process is given up. @default 30_000 */
  readonly timeoutMs?: number;
}

/** NftResult is the outcome of one transaction. */
export type NftResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

interface Pending {
  readonly marker: string;
  readonly resolve: (r: NftResult) => void;
  readonly timer: NodeJS.Timeout;
  /** stderr lines since the transaction was sent. */
  readonly lines: string[];
}

/** A pipe end as Node hands it out: a socket that can stop holding the event loop. */
interface Unrefable {
  unref?: () => void;
}

/** NftSession runs nft transactions through one `nft -i` process. */
export class NftSession {
  /** Scripts up to this size go through the session; nft's byte-at-a-time reading makes larger ones slower than a spawn. */
  static readonly maxScriptBytes = 8 * 1024;
  readonly #c: NftSessionConfig;
  #child: ChildProcess | undefined;
  #pending: Pending | undefined;
  #stderr = '';
  /** Drop the caret line nft prints under the echoed marker. */
  #skipCaret = false;
  #seq = 0;

  constructor(config: NftSessionConfig = {}) {
    this.#c = config;
  }

  /** The process id of the running nft (undefined when none runs), for tests and clean-up. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** run applies `script` (one command per line) as one transaction. */
  run(script: string): Promise<NftResult> {
    const line = script
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .join('; ');
    if (line === '') return Promise.resolve({ ok: true });
    if (this.#pending) return Promise.resolve({ ok: false, message: 'an nft transaction is already in flight' });
    const child = this.#child ?? this.#start();
    if (!child.stdin?.writable) {
      this.#stop();
      return Promise.resolve({ ok: false, message: 'Cannot run nft: its input is closed' });
    }
    const marker = `tkube-sync-${++this.#seq}`;
    return new Promise<NftResult>((resolve) => {
      // A ref'd timer: Node stays alive while a transaction is in flight, and a hung nft is given up.
      const timer = setTimeout(() => this.#fail(`nft gave no answer in ${this.#c.timeoutMs ?? 30_000} ms`), this.#c.timeoutMs ?? 30_000);
      this.#pending = { marker, resolve, timer, lines: [] };
      child.stdin?.write(`${line}\n${marker}\n`);
    });
  }

  /** close ends the nft process (if any) and waits for it to exit. */
  async close(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#fail('the nft session was closed');
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('close', () => {
        clearTimeout(kill);
        resolve();
      });
      child.stdin?.end();
    });
  }

  #start(): ChildProcess {
    const nft = this.#c.nftPath ?? 'nft';
    const [cmd, args] = this.#c.netns ? ['ip', ['netns', 'exec', this.#c.netns, nft, '-i']] : [nft, ['-i']];
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    this.#stderr = '';
    this.#skipCaret = false;
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as Unrefable | null)?.unref?.();
    child.stdout?.resume(); // nothing is expected there; keep the pipe from filling
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.#onStderr(child, d));
    child.stdin?.on('error', () => undefined); // shows up as the exit below
    child.once('error', (err) => this.#onGone(child, `Cannot run nft: ${err.message}`));
    child.once('close', (code, signal) => this.#onGone(child, `nft exited (${signal ?? `code ${String(code)}`})`));
    return child;
  }

  #onStderr(child: ChildProcess, data: string): void {
    if (child !== this.#child) return;
    this.#stderr += data;
    let nl: number;
    while ((nl = this.#stderr.indexOf('\n')) >= 0) {
      const line = this.#stderr.slice(0, nl);
      this.#stderr = this.#stderr.slice(nl + 1);
      if (this.#skipCaret) {
        this.#skipCaret = false;
        if (/^\s*\^+\s*$/.test(line)) continue;
      }
      const p = this.#pending;
      if (!p) continue; // stray output between transactions
      if (line === p.marker) {
        // The line before the echoed marker is nft's "syntax error" header for the marker itself.
        if (p.lines.at(-1)?.startsWith('Error:')) p.lines.pop();
        this.#skipCaret = true;
        this.#settle(p.lines.length === 0 ? { ok: true } : { ok: false, message: p.lines.join('\n') });
        continue;
      }
      p.lines.push(line);
    }
  }

  #settle(result: NftResult): void {
    const p = this.#pending;
    if (!p) return;
    this.#pending = undefined;
    clearTimeout(p.timer);
    p.resolve(result);
  }

  #onGone(child: ChildProcess, why: string): void {
    if (child !== this.#child) return;
    this.#child = undefined;
    this.#settle({ ok: false, message: why });
  }

  /** #fail answers the transaction in flight with `why` and ends the process. */
  #fail(why: string): void {
    this.#settle({ ok: false, message: why });
    this.#stop();
  }

  #stop(): void {
    const child = this.#child;
    this.#child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      child.kill('SIGTERM');
    }
  }
}
