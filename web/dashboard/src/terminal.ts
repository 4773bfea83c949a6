/**
 * ExecTerminal: a shell in a container, in the browser — xterm.js over the exec WebSocket with upstream's
 * `v4.channel.k8s.io` protocol (binary messages whose first byte is the channel: 0 stdin, 1 stdout, 2 stderr,
 * 3 the final Status, 4 terminal resize as `{"Width":…,"Height":…}`). xterm is loaded only when a terminal opens,
 * so it costs nothing on the other views.
 */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { savedToken } from './api.js';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;

function base64url(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** execUrl builds the exec WebSocket URL for an interactive shell. */
export function execUrl(namespace: string, pod: string, container: string, command: readonly string[]): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = new URLSearchParams({ container, stdin: 'true', stdout: 'true', tty: 'true' });
  for (const c of command) q.append('command', c);
  return `${scheme}//${location.host}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec?${q.toString()}`;
}

export function ExecTerminal(props: { namespace: string; pod: string; containers: readonly string[] }) {
  const box = useRef<HTMLDivElement>(null);
  const [container, setContainer] = useState(props.containers[0] ?? '');
  const [open, setOpen] = useState(false);
  const [state, setState] = useState('');
  useEffect(() => {
    if (!open || !box.current) return;
    const el = box.current;
    let closed = false;
    let dispose = (): void => undefined;
    void (async () => {
      const [{ Terminal }, { FitAddon }] = await Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]);
      if (closed) return;
      const term = new Terminal({ cursorBlink: true, fontSize: 13, convertEol: false });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(el);
      fit.fit();
      const token = savedToken();
      const ws = new WebSocket(execUrl(props.namespace, props.pod, container, ['sh', '-c', 'command -v bash >/dev/null && exec bash || exec sh']), [
        'v4.channel.k8s.io',
        ...(token ? [`base64url.bearer.authorization.k8s.io.${base64url(token)}`] : []),
      ]);
      ws.binaryType = 'arraybuffer';
      const encoder = new TextEncoder();
      const send = (channel: number, data: Uint8Array): void => {
        if (ws.readyState !== WebSocket.OPEN) return;
        const frame = new Uint8Array(data.length + 1);
        frame[0] = channel;
        frame.set(data, 1);
        ws.send(frame);
      };
      const resize = (): void => send(RESIZE, encoder.encode(JSON.stringify({ Width: term.cols, Height: term.rows })));
      ws.onopen = () => {
        setState('connected');
        resize();
        term.focus();
      };
      ws.onmessage = (m: MessageEvent<ArrayBuffer>) => {
        const bytes = new Uint8Array(m.data);
        const channel = bytes[0];
        const payload = bytes.subarray(1);
        if (channel === STDOUT || channel === STDERR) term.write(payload);
        else if (channel === ERROR && payload.length > 0) {
          const status = JSON.parse(new TextDecoder().decode(payload)) as { status?: string; message?: string };
          if (status.status !== 'Success') term.write(`\r\n[${status.message ?? 'exec failed'}]\r\n`);
        }
      };
      ws.onclose = () => setState('closed');
      ws.onerror = () => setState('could not connect');
      const input = term.onData((d) => send(STDIN, encoder.encode(d)));
      const onResize = (): void => {
        fit.fit();
        resize();
      };
      window.addEventListener('resize', onResize);
      dispose = () => {
        window.removeEventListener('resize', onResize);
        input.dispose();
        ws.close();
        term.dispose();
      };
    })();
    return () => {
      closed = true;
      dispose();
    };
  }, [open, container, props.namespace, props.pod]);
  return html`<section class="terminal" aria-labelledby="term-h">
    <h3 id="term-h">Shell</h3>
    <label>Container <select value=${container} onChange=${(e: Event) => setContainer((e.target as HTMLSelectElement).value)}>
      ${props.containers.map((c) => html`<option value=${c}>${c}</option>`)}
    </select></label>
    <button type="button" onClick=${() => setOpen(!open)}>${open ? 'Close shell' : 'Open shell'}</button>
    <span class="term-state" data-state=${state}>${state}</span>
    ${open ? html`<div class="xterm-box" ref=${box}></div>` : null}
  </section>`;
}
