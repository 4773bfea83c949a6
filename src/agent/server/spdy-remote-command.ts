/**
 * Exec and attach over raw SPDY/3.1: kubectl's fallback when the WebSocket upgrade fails (`POST`, `Upgrade:
 * SPDY/3.1`, `X-Stream-Protocol-Version: v5.channel.k8s.io, v4.channel.k8s.io, ...`). SPDY carries
 * `v4.channel.k8s.io` and older (v5 exists only for WebSocket), so v4 is what kubectl gets.
 *
 * After the handshake the client opens one stream per channel, each with a `streamType` header: `error`
 * always, `stdin`/`stdout`/`stderr` as the query asked (no stderr with a TTY), and `resize` for TTY sessions on
 * v3+. Once all expected streams are there (or the stream-creation timeout passes: the session is dropped) the
 * handler runs with them as `RemoteCommandStreams`; when it resolves the output streams are closed and so is the
 * session.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Clock } from '../../base/clock/clock.js';
import { RealClock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import type { TerminalSize } from '../cri/runtime-service.js';
import { statusMessage, type RemoteCommandHandler, type RemoteCommandOptions, type RemoteCommandStatus } from './remote-command-streams.js';
import { RstStatus } from './spdy/frame.js';
import { SpdySession, type SpdyStream } from './spdy/session.js';
import { acceptSpdyUpgrade, negotiateStreamProtocol, rejectNegotiation } from './spdy-upgrade.js';

/** The remote-command subprotocols served over SPDY, newest first. */
export const SPDY_REMOTE_COMMAND_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;
const DEFAULT_STREAM_CREATION_TIMEOUT_MS = 30_000;

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

export interface SpdyRemoteCommandConfig {
  readonly log: Logger;
  /** @default a RealClock */
  readonly clock?: Clock;
  /** @default 30 s */
  readonly streamCreationTimeoutMs?: number;
}

/**
 * serveSpdyRemoteCommand completes the SPDY handshake on an upgrade request (or answers 403 when no subprotocol
 * is common), collects the streams and runs `handler`. It resolves when the session is over.
 */
export async function serveSpdyRemoteCommand(req: IncomingMessage, socket: Duplex, head: Buffer, options: RemoteCommandOptions, handler: RemoteCommandHandler, config: SpdyRemoteCommandConfig): Promise<void> {
  const protocol = negotiateStreamProtocol(req, SPDY_REMOTE_COMMAND_PROTOCOLS);
  if (protocol === undefined) {
    rejectNegotiation(socket, req, SPDY_REMOTE_COMMAND_PROTOCOLS);
    return;
  }
  const effective = protocol === '' ? 'channel.k8s.io' : protocol;
  const expected = new Set<StreamType>(['error']);
  if (options.stdin) expected.add('stdin');
  if (options.stdout) expected.add('stdout');
  if (options.stderr && !options.tty) expected.add('stderr');
  if (options.tty && (effective.startsWith('v3.') || effective.startsWith('v4.'))) expected.add('resize');

  const streams = new Map<StreamType, SpdyStream>();
  let ready: (ok: boolean) => void = () => undefined;
  const complete = new Promise<boolean>((resolve) => (ready = resolve));
  const session = new SpdySession(acceptSpdyUpgrade(socket, head, protocol), {
    role: 'server',
    onStream: (stream) => {
      const type = stream.header('streamType') as StreamType | undefined;
      if (!type || !expected.has(type) || streams.has(type)) {
        config.log.info('Remote command stream refused', { type });
        stream.reset(RstStatus.PROTOCOL_ERROR);
        return;
      }
      void stream.reply().catch(() => undefined);
      streams.set(type, stream);
      if (streams.size === expected.size) ready(true);
    },
  });
  const abort = new AbortController();
  void session.closed.then(() => {
    abort.abort();
    ready(false);
  });
  const timer = (config.clock ?? new RealClock()).setTimer(config.streamCreationTimeoutMs ?? DEFAULT_STREAM_CREATION_TIMEOUT_MS, () => ready(false));
  const ok = await complete;
  timer.cancel();
  if (!ok) {
    config.log.info('Remote command session dropped: not all streams were created', { expected: [...expected], got: [...streams.keys()] });
    session.destroy();
    return;
  }
  const error = streams.get('error');
  // The client half-closes the streams it only reads (error, stdout, stderr); drain them so those FINs are seen.
  for (const t of ['error', 'stdout', 'stderr'] as const) streams.get(t)?.resume();
  const resizeStream = streams.get('resize');
  let statusWritten = false;
  const writeStatus = async (status: RemoteCommandStatus): Promise<void> => {
    if (statusWritten || !error || error.destroyed) return;
    statusWritten = true;
    const text = statusMessage(status, effective);
    await new Promise<void>((resolve) => (text === '' ? resolve() : error.write(text, () => resolve())));
  };
  try {
    const stdin = streams.get('stdin');
    const stdout = streams.get('stdout');
    const stderr = streams.get('stderr');
    await handler({
      protocol: effective,
      ...(stdin ? { stdin } : {}),
      ...(stdout ? { stdout } : {}),
      ...(stderr ? { stderr } : {}),
      tty: options.tty,
      ...(resizeStream ? { resize: terminalSizes(resizeStream) } : {}),
      signal: abort.signal,
      writeStatus,
    });
  } catch (err) {
    await writeStatus({ error: err instanceof Error ? err.message : String(err) });
  }
  // Our FINs go out before the GOAWAY: wait until each stream's end is written (or the stream is gone).
  await Promise.all(
    [...streams.values()].map((s) =>
      s.destroyed || s.writableFinished
        ? undefined
        : new Promise<void>((resolve) => {
            s.once('close', () => resolve());
            s.end(() => resolve());
          }),
    ),
  );
  await session.close();
}

/**
 * terminalSizes parses the resize stream: JSON objects `{"Width":w,"Height":h}` one after another (client-go's
 * json.Encoder separates them with newlines, but nothing requires it, so objects are split by brace depth).
 */
export async function* terminalSizes(stream: AsyncIterable<Buffer | string>): AsyncGenerator<TerminalSize> {
  let buf = '';
  for await (const chunk of stream) {
    buf += chunk.toString();
    for (;;) {
      const start = buf.indexOf('{');
      if (start < 0) {
        buf = '';
        break;
      }
      let depth = 0;
      let end = -1;
      for (let i = start; i < buf.length; i++) {
        if (buf[i] === '{') depth++;
        else if (buf[i] === '}' && --depth === 0) {
          end = i;
          break;
        }
      }
      if (end < 0) {
        buf = buf.slice(start);
        break;
      }
      const text = buf.slice(start, end + 1);
      buf = buf.slice(end + 1);
      try {
        const size = JSON.parse(text) as { Width?: unknown; Height?: unknown };
        if (typeof size.Width === 'number' && typeof size.Height === 'number') yield { width: size.Width, height: size.Height };
      } catch {
        // A malformed size is skipped, as upstream logs and continues.
      }
    }
  }
}
