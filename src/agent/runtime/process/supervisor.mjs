// tkube-supervisor: the per-container supervisor of the process runtime (what tkube-shim is to the runc runtime),
// in plain JavaScript so it runs with the bare `node` binary on machines without a C compiler, root or tsx.
//
//   node supervisor.mjs <spec.json>
//
// spec.json: { argv: string[], env: {[k]: v}, cwd, logPath, pidPath, statusPath, uid?, gid? }
//
// Contract (process-runtime.ts relies on it):
//  - Runs argv[0] (looked up on env.PATH) with stdin from /dev/null, in a session and process group of its own whose
//    ID is the container's pid; writes `{"pid": N}` to pidPath (temp + rename) once it runs.
//  - Appends stdout and stderr to logPath in the CRI log format (`<RFC 3339 nano> stdout|stderr F|P <text>`), lines
//    over 16 KiB split into P parts, as tkube-shim does.
//  - Reopens logPath when the kubelet renamed it away (log rotation): at most once a second it compares the path's
//    inode with the open file's and (re)creates a missing or different file.
//  - When the main process ends, whatever is left of its process group is killed (a container ends with its first
//    process, as in a PID namespace), and `{"exitCode", "finishedAt" (ms), "reason"?, "message"?}` goes to statusPath
//    (temp + rename). A signal death is 128 + the signal number. A program that cannot be run at all ends with 127
//    (not found) or 126 (not executable), reason ContainerCannotRun, and the error on the log's stderr.
//  - It is started detached by the runtime, so it outlives the agent; it ignores SIGHUP and SIGINT for that reason.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';

const MAX_LINE = 16384;
const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8'));
let logFd = openSync(spec.logPath, 'a', 0o640);
let logCheckedAt = Date.now();
// Wall-clock nanoseconds: Date.now() has milliseconds only, so the monotonic clock supplies the digits below.
const offsetNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

process.on('SIGHUP', () => {});
process.on('SIGINT', () => {});

function timestamp() {
  const ns = process.hrtime.bigint() + offsetNs;
  const iso = new Date(Number(ns / 1_000_000n)).toISOString();
  return `${iso.slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

function reopenLogIfRotated() {
  const now = Date.now();
  if (now - logCheckedAt < 1000) return;
  logCheckedAt = now;
  try {
    const onPath = statSync(spec.logPath);
    const open = fstatSync(logFd);
    if (onPath.ino === open.ino && onPath.dev === open.dev) return;
  } catch {
    // The path is gone (renamed, not yet recreated): create it.
  }
  try {
    const fd = openSync(spec.logPath, 'a', 0o640);
    closeSync(logFd);
    logFd = fd;
  } catch {
    // Keep writing to the old file rather than lose output.
  }
}

function emit(stream, tag, text) {
  reopenLogIfRotated();
  const line = Buffer.concat([Buffer.from(`${timestamp()} ${stream} ${tag} `), text, Buffer.from('\n')]);
  let off = 0;
  while (off < line.length) off += writeSync(logFd, line, off);
}

function writeAtomic(path, value) {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

/** pump turns a pipe into CRI log records; resolves when the pipe ends. */
function pump(readable, name) {
  let pending = Buffer.alloc(0);
  readable.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let start = 0;
    for (let nl = pending.indexOf(10, start); nl >= 0; nl = pending.indexOf(10, start)) {
      emit(name, 'F', pending.subarray(start, nl));
      start = nl + 1;
    }
    pending = pending.subarray(start);
    while (pending.length >= MAX_LINE) {
      emit(name, 'P', pending.subarray(0, MAX_LINE));
      pending = pending.subarray(MAX_LINE);
    }
  });
  return new Promise((resolve) => {
    const done = () => {
      if (pending.length > 0) emit(name, 'F', pending);
      pending = Buffer.alloc(0);
      resolve();
    };
    readable.once('end', done);
    readable.once('error', done);
  });
}

function finish(status) {
  try {
    writeAtomic(spec.statusPath, { ...status, finishedAt: Date.now() });
  } catch {
    // The container was removed while it ended: nobody is left to read the record.
  }
  process.exit(0);
}

let child;
try {
  child = spawn(spec.argv[0], spec.argv.slice(1), {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
    ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
  });
} catch (err) {
  child = undefined;
  const message = `cannot run ${JSON.stringify(spec.argv[0])}: ${err.message}`;
  emit('stderr', 'F', Buffer.from(`tkube-supervisor: ${message}`));
  finish({ exitCode: 126, reason: 'ContainerCannotRun', message });
}

if (child) {
  const streams = Promise.all([pump(child.stdout, 'stdout'), pump(child.stderr, 'stderr')]);
  child.once('spawn', () => writeAtomic(spec.pidPath, { pid: child.pid }));
  child.once('error', (err) => {
    // The program never ran (ENOENT, EACCES): no exit event follows.
    const message = `cannot run ${JSON.stringify(spec.argv[0])}: ${err.message}`;
    emit('stderr', 'F', Buffer.from(`tkube-supervisor: ${message}`));
    finish({ exitCode: err.code === 'ENOENT' ? 127 : 126, reason: 'ContainerCannotRun', message });
  });
  child.once('exit', (code, signal) => {
    const exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
    // The container ends with its main process: the rest of its group goes too.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is already empty.
    }
    // Descendants that left the group may hold the pipes open: the record does not wait for them for long.
    const grace = new Promise((resolve) => setTimeout(resolve, 2000).unref());
    void Promise.race([streams, grace]).then(() => finish({ exitCode }));
  });
}
