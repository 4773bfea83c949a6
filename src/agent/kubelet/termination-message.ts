/**
 * Termination messages: each container instance gets a host file bind-mounted at its `terminationMessagePath`
 * (default /dev/termination-log); when the instance has exited, what it wrote there (at most 4096 bytes) becomes
 * `state.terminated.message`. With `terminationMessagePolicy: FallbackToLogsOnError` an empty file on a failed
 * exit falls back to the end of the container's log (the last 80 lines, at most 2048 bytes), as upstream does.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseCriLog } from './cri-log.js';

/** DEFAULT_TERMINATION_MESSAGE_PATH is where a container finds its termination-message file by default. */
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** TERMINATION_MESSAGE_ANNOTATION carries the host file's path on the container, so status can find it later. */
export const TERMINATION_MESSAGE_ANNOTATION = 'io.tkube.container.terminationMessageHostPath';
const MAX_MESSAGE_BYTES = 4096;
const FALLBACK_LINES = 80;
const FALLBACK_BYTES = 2048;

/** prepareTerminationMessageFile creates the (empty) host file for one instance under `dir` and returns its path. */
export function prepareTerminationMessageFile(dir: string, container: string, attempt: number): string {
  const path = join(dir, container, `${attempt}.termination-log`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
  return path;
}

function readHead(path: string, max: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(max);
    const n = readSync(fd, buf, 0, max, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** terminationMessage reads an exited instance's message; '' when there is none. */
export function terminationMessage(hostPath: string | undefined, policy: string | undefined, exitCode: number, logPath: string): string {
  const written = hostPath ? readHead(hostPath, MAX_MESSAGE_BYTES) : '';
  if (written !== '' || policy !== 'FallbackToLogsOnError' || exitCode === 0) return written;
  let content: string;
  try {
    content = readFileSync(logPath, 'utf8');
  } catch {
    return '';
  }
  const text = parseCriLog(content)
    .slice(-FALLBACK_LINES)
    .map((l) => `${l.text}\n`)
    .join('');
  const bytes = Buffer.from(text);
  return bytes.length > FALLBACK_BYTES ? bytes.subarray(bytes.length - FALLBACK_BYTES).toString('utf8') : text;
}
