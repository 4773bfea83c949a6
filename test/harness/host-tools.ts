/**
 * What the host offers to tests that run real containers: root, runc, busybox-static, a C compiler. Each test
 * skips with the first missing piece as its reason.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** commandExists tells whether a program is on the PATH. */
export function commandExists(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** nftHostMissing names what the host lacks to run nftables (and `ip`) in tests, or false when it has everything. */
export function nftHostMissing(): string | false {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const cmd of ['nft', 'ip']) if (!commandExists(cmd)) return `needs ${cmd}`;
  return false;
}

/** containerHostMissing names what the host lacks to run runc containers, or false when it has everything. */
export function containerHostMissing(): string | false {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!commandExists('runc')) return 'needs runc';
  if (!existsSync('/bin/busybox')) return 'needs busybox-static';
  if (!commandExists('cc')) return 'needs a C compiler';
  return false;
}

/** containerdHostMissing names what the host lacks to run the containerd CRI backend, or false when it has everything. */
export function containerdHostMissing(): string | false {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const cmd of ['containerd', 'ctr', 'containerd-shim-runc-v2', 'runc']) if (!commandExists(cmd)) return `needs ${cmd} (Debian package containerd)`;
  if (!existsSync('/usr/lib/cni/bridge') || !existsSync('/usr/lib/cni/host-local')) return 'needs the CNI plugins (Debian package containernetworking-plugins)';
  if (!existsSync('/bin/busybox')) return 'needs busybox-static';
  return false;
}

/** processAlive tells whether pid is a live process (a zombie, exited but not reaped, counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
