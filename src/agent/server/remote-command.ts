/**
 * serveRemoteCommand runs one exec or attach session over an accepted WebSocket speaking a channel protocol
 * (websocket-channels.ts): client frames feed the command's stdin and terminal size, the command's stdout and
 * stderr go out as frames, and when the command ends its outcome goes on the error channel and the socket closes
 * normally. The socket closing first (the client went away) aborts the session, which kills an exec'd process.
 *
 * Ordering contract: every output byte is sent before the outcome frame, because the runtime resolves only after
 * the command's output pipes have ended and `ws` sends messages in order.
 */
import { PassThrough, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { StreamOptions, TerminalSize } from '../cri/runtime-service.js';
import { CLOSE, decodeFrame, encodeFrame, ERROR, errorChannelMessage, RESIZE, STDERR, STDIN, STDOUT, parseResize, type Outcome } from './websocket-channels.js';

/** RemoteCommandOptions are the streams the client asked for (the exec/attach query). */
export interface RemoteCommandOptions {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

/** parseRemoteCommandOptions reads `stdin`, `stdout`, `stderr`, `tty` from a query (`true` or `1`). With a TTY there is no separate stderr. */
export function parseRemoteCommandOptions(q: URLSearchParams): RemoteCommandOptions {
  const flag = (name: string): boolean => q.get(name) === 'true' || q.get(name) === '1';
  const tty = flag('tty');
  return { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr') && !tty, tty };
}

/**
 * SizeQueue is the terminal sizes the client sent, as the AsyncIterable the runtime reads; only the latest
 * pending size matters, so older unread ones are dropped.
 */
export class SizeQueue implements AsyncIterable<TerminalSize> {
  #pending: TerminalSize | undefined;
  #ended = false;
  #wake: (() => void) | undefined;

  push(size: TerminalSize): void {
    this.#pending = size;
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TerminalSize> {
    for (;;) {
      if (this.#pending) {
        const size = this.#pending;
        this.#pending = undefined;
        yield size;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}

/** channelWriter is a Writable whose chunks leave as frames of `channel`; writes after the socket closed are dropped. */
function channelWriter(ws: WebSocket, channel: number): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (ws.readyState !== ws.OPEN) {
        callback();
        return;
      }
      // The callback waits for the socket to take the frame: a fast producer is held back, not buffered without end.
      ws.send(encodeFrame(channel, chunk), { binary: true }, () => callback());
    },
  });
}

/**
 * serveRemoteCommand runs the session; `run` starts the command with the given streams and resolves with its exit
 * code (exec) or nothing (attach: success). A `run` that throws is reported as a failure on the error channel.
 */
export async function serveRemoteCommand(ws: WebSocket, version: number, options: RemoteCommandOptions, run: (streams: StreamOptions) => Promise<number | void>): Promise<void> {
  const abort = new AbortController();
  const stdin = options.stdin ? new PassThrough() : undefined;
  const sizes = options.tty && version >= 3 ? new SizeQueue() : undefined;
  ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[]) => {
    const message = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    const frame = decodeFrame(message);
    if (!frame) return;
    if (frame.channel === STDIN) {
      if (stdin && !stdin.writableEnded) stdin.write(frame.data);
    } else if (frame.channel === RESIZE) {
      const size = parseResize(frame.data);
      if (size && sizes) sizes.push(size);
    } else if (frame.channel === CLOSE && version >= 5) {
      // The payload names the stream the client closed; stdin is the only one it can close.
      if (frame.data[0] === STDIN) stdin?.end();
    }
  });
  ws.on('close', () => {
    stdin?.end();
    sizes?.end();
    abort.abort();
  });
  ws.on('error', () => ws.terminate());
  const stdout = options.stdout ? channelWriter(ws, STDOUT) : undefined;
  const stderr = options.stderr ? channelWriter(ws, STDERR) : undefined;
  const streams: StreamOptions = {
    ...(stdin ? { stdin } : {}),
    ...(stdout ? { stdout } : {}),
    ...(stderr ? { stderr } : {}),
    tty: options.tty,
    ...(sizes ? { resize: sizes } : {}),
    signal: abort.signal,
  };
  let outcome: Outcome;
  try {
    const code = await run(streams);
    outcome = { exitCode: code ?? 0 };
  } catch (err) {
    outcome = { error: err instanceof Error ? err.message : String(err) };
  }
  sizes?.end();
  // Output still queued in the writers leaves before the outcome.
  await Promise.all([stdout, stderr].map((w) => (w ? new Promise<void>((resolve) => w.end(() => resolve())) : undefined)));
  if (ws.readyState !== ws.OPEN) return;
  const text = errorChannelMessage(version, outcome);
  if (text !== '') ws.send(encodeFrame(ERROR, text), { binary: true });
  ws.close(1000);
}
