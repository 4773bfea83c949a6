/**
 * The running server's state file, `<data-dir>/server.json`: how `tkube up|status|down` find a background
 * server. Written once the API server is ready, removed on clean stop. A stale file (dead pid) is ignored.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** ServerState describes a running server. */
export interface ServerState {
  readonly pid: number;
  /** e.g. https://127.0.0.1:6443 */
  readonly url: string;
  readonly port: number;
  readonly startedAt: string;
  /** The Ingress proxy's bound ports, when it runs. */
  readonly ingressHttpPort?: number;
  readonly ingressHttpsPort?: number;
}

/** serverStatePath is where the state file lives. */
export function serverStatePath(dataDir: string): string {
  return join(dataDir, 'server.json');
}

/** writeServerState records a ready server. */
export function writeServerState(dataDir: string, s: ServerState): void {
  // Temp file + rename: `tkube up`, tests and benchmarks poll for this file and must never read half of it.
  const path = serverStatePath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

/** removeServerState deletes the state file if it is ours. */
export function removeServerState(dataDir: string, pid: number): void {
  const s = readServerState(dataDir);
  if (s && s.pid === pid) rmSync(serverStatePath(dataDir), { force: true });
}

/** processAlive tells whether a pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** readServerState returns the state of a live server, or undefined (no file, unreadable, or dead pid). */
export function readServerState(dataDir: string): ServerState | undefined {
  const p = serverStatePath(dataDir);
  if (!existsSync(p)) return undefined;
  try {
    const s = JSON.parse(readFileSync(p, 'utf8')) as ServerState;
    return typeof s.pid === 'number' && processAlive(s.pid) ? s : undefined;
  } catch {
    return undefined;
  }
}
