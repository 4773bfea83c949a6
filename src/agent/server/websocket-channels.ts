/**
 * The channel framing of Kubernetes' WebSocket remote-command protocols (exec and attach). Every binary message
 * starts with one byte naming the channel; the rest is that channel's data:
 *
 *   0 stdin · 1 stdout · 2 stderr · 3 error (the outcome) · 4 resize (`{"Width":w,"Height":h}`) · 255 close
 *
 * The versions differ in what they add:
 *   - `channel.k8s.io`, `v2.channel.k8s.io`: channels 0–3; the error channel carries plain text.
 *   - `v3.channel.k8s.io`: adds channel 4, terminal resize.
 *   - `v4.channel.k8s.io`: the error channel carries a `metav1.Status` JSON (exit codes as causes).
 *   - `v5.channel.k8s.io`: adds channel 255, with which the client half-closes one of its streams (stdin).
 */
import type { TerminalSize } from '../cri/runtime-service.js';

/** Channel numbers. */
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
export const CLOSE = 255;

/** The supported subprotocols, most preferred first, with their version number. */
export const CHANNEL_PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ['v5.channel.k8s.io', 5],
  ['v4.channel.k8s.io', 4],
  ['v3.channel.k8s.io', 3],
  ['v2.channel.k8s.io', 2],
  ['channel.k8s.io', 1],
]);

/** negotiateProtocol picks the server's most preferred protocol among those the client offered; undefined if none. */
export function negotiateProtocol(offered: Iterable<string>): string | undefined {
  const set = new Set([...offered].map((p) => p.trim()));
  for (const p of CHANNEL_PROTOCOLS.keys()) if (set.has(p)) return p;
  return undefined;
}

/** Frame is one decoded message. */
export interface Frame {
  readonly channel: number;
  readonly data: Buffer;
}

/** encodeFrame prefixes `data` with its channel byte. */
export function encodeFrame(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = channel;
  body.copy(out, 1);
  return out;
}

/** decodeFrame splits a message into channel and data; undefined for an empty message (which carries nothing). */
export function decodeFrame(message: Buffer): Frame | undefined {
  if (message.length === 0) return undefined;
  return { channel: message[0] ?? 0, data: message.subarray(1) };
}

/** parseResize reads a resize message; undefined when it is not a valid `{"Width","Height"}` object. */
export function parseResize(data: Buffer): TerminalSize | undefined {
  try {
    const v = JSON.parse(data.toString('utf8')) as { Width?: unknown; Height?: unknown };
    if (typeof v.Width !== 'number' || typeof v.Height !== 'number' || v.Width < 0 || v.Height < 0) return undefined;
    return { width: Math.floor(v.Width), height: Math.floor(v.Height) };
  } catch {
    return undefined;
  }
}

/** Outcome is how a remote command ended: an exit code, or a failure to run it at all. */
export type Outcome = { readonly exitCode: number } | { readonly error: string };

/**
 * errorChannelMessage renders the outcome for the error channel: a `metav1.Status` for v4+ (success, or
 * NonZeroExitCode with the code as an `ExitCode` cause, or a plain Failure), plain text before v4 (empty text is
 * success; an exit code is the Go error's text, which old clients only print).
 */
export function errorChannelMessage(version: number, outcome: Outcome): string {
  if (version >= 4) {
    if ('exitCode' in outcome) {
      if (outcome.exitCode === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
      return JSON.stringify({
        metadata: {},
        status: 'Failure',
        message: `command terminated with non-zero exit code: exit status ${outcome.exitCode}`,
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: String(outcome.exitCode) }] },
      });
    }
    return JSON.stringify({ metadata: {}, status: 'Failure', message: outcome.error, reason: 'InternalError', code: 500 });
  }
  if ('exitCode' in outcome) return outcome.exitCode === 0 ? '' : `command terminated with non-zero exit code: exit status ${outcome.exitCode}`;
  return outcome.error;
}
