/**
 * runComponentsChild: the child side of `tkube server --components-process separate` (components-process.ts has
 * the contract). It takes its configuration from the IPC channel, runs startComponents, and lives until the server
 * says `stop`, the channel closes (the server stopped or died) or SIGTERM arrives. SIGINT is left to the server: a
 * Ctrl-C in a terminal reaches the whole process group, and the server stops its child in order.
 */
import { newLogger } from '../base/log/logger.js';
import { COMPONENTS_CHILD_ENV, type ChildMessage, type ParentMessage } from './components-process.js';
import { startComponents, type ComponentsConfig, type RunningComponents } from './components.js';

/** ORPHAN_STOP_MS: with the server gone no Lease can be released; stopping is cut short after this long. */
const ORPHAN_STOP_MS = 2_000;

/** runComponentsChild resolves when the components stopped; the caller then exits. */
export async function runComponentsChild(): Promise<void> {
  const send = process.send?.bind(process);
  if (!send || process.env[COMPONENTS_CHILD_ENV] !== '1') throw new Error('server-components runs only as the child of `tkube server --components-process separate`');
  const log = newLogger('components');
  // One listener from the start: a `stop` that arrives while the components are still starting is not lost.
  let configured: (config: ComponentsConfig) => void = () => undefined;
  const config = new Promise<ComponentsConfig>((resolve) => (configured = resolve));
  let ended: (reason: 'stop' | 'orphaned') => void = () => undefined;
  const end = new Promise<'stop' | 'orphaned'>((resolve) => (ended = resolve));
  let running: RunningComponents | undefined;
  process.on('message', (m: ParentMessage) => {
    if (m.kind === 'start') configured(m.config);
    else if (m.kind === 'stop') ended('stop');
    else void (running?.renderMetrics() ?? Promise.resolve('')).then((text) => process.connected && send({ kind: 'metrics', id: m.id, text } satisfies ChildMessage));
  });
  process.once('disconnect', () => ended('orphaned'));
  process.once('SIGTERM', () => ended('stop'));
  process.on('SIGINT', () => undefined);
  const first = await Promise.race([config, end]);
  if (typeof first === 'string') return;
  try {
    running = await startComponents(first, log);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (process.connected) send({ kind: 'failed', message } satisfies ChildMessage);
    // The open channel would keep this failed process alive until the server kills it.
    if (process.connected) process.disconnect();
    throw err;
  }
  if (process.connected) send({ kind: 'ready' } satisfies ChildMessage);
  if ((await end) === 'orphaned') {
    log.warn('The server is gone: stopping');
    setTimeout(() => process.exit(0), ORPHAN_STOP_MS).unref();
  }
  await running.stop();
  // The channel holds the event loop open: close it. A socket some client still winds down must not keep a stopped
  // child alive either.
  if (process.connected) process.disconnect();
  setTimeout(() => process.exit(0), 1_000).unref();
}
