/**
 * The client side of a CRI streaming server (the URLs Exec and PortForward hand out; containerd serves them on
 * `stream_server_address:stream_server_port`), over WebSocket with the `v4.channel.k8s.io` subprotocol: every
 * binary message starts with a channel byte.
 *
 *  - exec: 0 stdin, 1 stdout, 2 stderr, 3 error (a metav1.Status JSON when the command ends: Success, or Failure
 *    with reason NonZeroExitCode and the code as the ExitCode cause), 4 resize (`{"Width":w,"Height":h}`).
 *  - port-forward (`?port=N` on the URL): per port a data channel (2i) and an error channel (2i+1); the first two
 *    bytes on each are the port number (little endian), sent by the server before anything else.
 *
 * v4 has no way to half-close stdin (that came with v5, which containerd 1.6 does not speak): when the client's
 * stdin ends, the command gets no EOF. Commands that read stdin to its end will wait until the session ends.
 */
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import type { StreamOptions } from '../../cri/runtime-service.js';

const PROTOCOL = 'v4.channel.k8s.io';

/** wsUrl turns the server's http(s) URL into its ws(s) form. */
function wsUrl(url: string): string {
  return url.replace(/^http/, 'ws');
}

function frame(channel: number, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), payload]);
}

/** exitCodeOf reads the exec error channel's Status: 0 for Success or nothing, the code for NonZeroExitCode. */
function exitCodeOf(statusText: string): number | Error {
  if (statusText.trim() === '') return 0;
  try {
    const status = JSON.parse(statusText) as { status?: string; reason?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } };
    if (status.status === 'Success') return 0;
    if (status.reason === 'NonZeroExitCode') {
      const code = Number(status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message);
      if (Number.isInteger(code)) return code;
    }
    return new Error(status.message ?? statusText);
  } catch {
    return new Error(statusText.trim());
  }
}

/** streamExec runs an exec session at `url` with the client's streams; resolves with the exit code. */
export function streamExec(url: string, streams: StreamOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(url), [PROTOCOL]);
    let statusText = '';
    let settled = false;
    const finish = (result: number | Error): void => {
      if (settled) return;
      settled = true;
      streams.signal?.removeEventListener('abort', onAbort);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onAbort = (): void => {
      ws.close();
      finish(new Error('Exec session aborted: the client went away'));
    };
    streams.signal?.addEventListener('abort', onAbort, { once: true });
    ws.on('open', () => {
      streams.stdin?.on('data', (chunk: Buffer | string) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(frame(0, chunk));
      });
      if (streams.resize) {
        void (async () => {
          for await (const size of streams.resize ?? []) {
            if (ws.readyState !== WebSocket.OPEN) break;
            ws.send(frame(4, JSON.stringify({ Width: size.width, Height: size.height })));
          }
        })().catch(() => undefined);
      }
    });
    ws.on('message', (data: Buffer) => {
      if (data.length < 2) return;
      const payload = data.subarray(1);
      if (data[0] === 1) streams.stdout?.write(payload);
      else if (data[0] === 2) (streams.tty ? streams.stdout : streams.stderr)?.write(payload);
      else if (data[0] === 3) statusText += payload.toString('utf8');
    });
    ws.on('error', (err) => finish(new Error(`Exec stream failed: ${err.message}`)));
    ws.on('close', () => finish(exitCodeOf(statusText)));
  });
}

/**
 * streamPortForward relays `stream` to one port through a port-forward session at `url`; resolves when either
 * side closes. A connection the server could not make rejects, with nothing written to `stream`.
 */
export function streamPortForward(url: string, port: number, stream: Duplex): Promise<void> {
  const sep = url.includes('?') ? '&' : '?';
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl(url)}${sep}port=${port}`, [PROTOCOL]);
    // The 2-byte port prefix still to skip on the data (0) and error (1) channels.
    const prefix = [2, 2];
    let wrote = false;
    let errorText = '';
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    ws.on('open', () => {
      stream.on('data', (chunk: Buffer | string) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(frame(0, chunk));
      });
      stream.on('end', () => ws.close());
      stream.on('close', () => ws.close());
      stream.on('error', () => ws.close());
    });
    ws.on('message', (data: Buffer) => {
      const channel = data[0];
      if (channel !== 0 && channel !== 1) return;
      let payload = data.subarray(1);
      const skip = Math.min(prefix[channel] ?? 0, payload.length);
      prefix[channel] = (prefix[channel] ?? 0) - skip;
      payload = payload.subarray(skip);
      if (payload.length === 0) return;
      if (channel === 0) {
        wrote = true;
        stream.write(payload);
      } else {
        errorText += payload.toString('utf8');
        // Nothing reached the client yet: the dial failed, and the caller hears so instead of an empty stream.
        if (!wrote) {
          ws.close();
          finish(new Error(`Cannot forward port ${port}: ${errorText.trim()}`));
        }
      }
    });
    ws.on('error', (err) => {
      if (!wrote) finish(new Error(`Cannot forward port ${port}: ${err.message}`));
      stream.destroy();
    });
    ws.on('close', () => {
      if (errorText !== '' && !wrote) {
        finish(new Error(`Cannot forward port ${port}: ${errorText.trim()}`));
        return;
      }
      if (errorText !== '') stream.destroy(new Error(errorText.trim()));
      else stream.end();
      finish();
    });
  });
}
