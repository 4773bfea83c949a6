/**
 * RemoteCommandStreams: what an exec or attach session looks like to the code that runs the command, whatever
 * wire protocol carried it (WebSocket channels `v5/v4.channel.k8s.io`, or SPDY streams after kubectl's fallback).
 * The protocol handlers build one of these and call a `RemoteCommandHandler`; the handler connects the streams to
 * the runtime's exec/attach and reports the outcome with `writeStatus` exactly once.
 */
import type { Readable, Writable } from 'node:stream';
import type { TerminalSize } from '../cri/runtime-service.js';

/** RemoteCommandOptions are the streams the client asked for (query `stdin`, `stdout`, `stderr`, `tty`). */
export interface RemoteCommandOptions {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

/** RemoteCommandStatus is how the command ended: its exit code, or a failure to run it at all. */
export type RemoteCommandStatus = { readonly exitCode: number } | { readonly error: string };

/** RemoteCommandStreams are one session's client streams; see the file comment. */
export interface RemoteCommandStreams {
  /** The negotiated subprotocol, e.g. `v4.channel.k8s.io`. */
  readonly protocol: string;
  /** Present when the client asked for stdin; ends when the client closes it. */
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  /** Absent with a TTY (stderr is merged into stdout, as on a terminal). */
  readonly stderr?: Writable;
  readonly tty: boolean;
  /** Terminal sizes as the client resizes (TTY sessions only); ends with the session. */
  readonly resize?: AsyncIterable<TerminalSize>;
  /** Aborted when the client goes away; the handler should stop the command's I/O. */
  readonly signal: AbortSignal;
  /** writeStatus reports the outcome on the error channel; call it once, after the output streams are written. */
  writeStatus(status: RemoteCommandStatus): Promise<void>;
}

/** RemoteCommandHandler runs one session; the protocol handler closes the connection when it resolves. */
export type RemoteCommandHandler = (streams: RemoteCommandStreams) => Promise<void>;

/** remoteCommandOptions reads the stream flags from an exec/attach query (`1` and `true` mean yes). */
export function remoteCommandOptions(q: URLSearchParams): RemoteCommandOptions {
  const flag = (name: string): boolean => ['1', 'true'].includes((q.get(name) ?? '').toLowerCase());
  const tty = flag('tty');
  return { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr') && !tty, tty };
}

/**
 * statusMessage renders a status as the error channel carries it. From `v4.channel.k8s.io` on it is a
 * `metav1.Status` JSON (exit codes travel as a `NonZeroExitCode` cause, which kubectl turns into its own exit
 * code); older protocols carry only an error text, and nothing on success.
 */
export function statusMessage(status: RemoteCommandStatus, protocol: string): string {
  const structured = /^v[4-9]\./.test(protocol);
  if ('error' in status) {
    return structured ? JSON.stringify({ metadata: {}, status: 'Failure', message: status.error, reason: 'InternalError', code: 500 }) : status.error;
  }
  if (status.exitCode === 0) return structured ? JSON.stringify({ metadata: {}, status: 'Success' }) : '';
  const message = `command terminated with non-zero exit code: exit status ${status.exitCode}`;
  if (!structured) return message;
  return JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(status.exitCode) }] } });
}

/** RemoteCommandRequest names what an exec or attach session is for (from the kubelet URL and query). */
export interface RemoteCommandRequest {
  readonly kind: 'exec' | 'attach';
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  /** The command to exec (query `command`, repeated); empty for attach. */
  readonly command: readonly string[];
}

/** RemoteCommandRunner runs a session for a request (the kubelet implements it over the runtime's exec/attach). */
export type RemoteCommandRunner = (request: RemoteCommandRequest, streams: RemoteCommandStreams) => Promise<void>;
