/**
 * Mounter: the few mount operations volumes need (tmpfs for `emptyDir.medium: Memory` and for secret, projected and
 * downwardAPI volumes), behind an interface so plugins are testable without root. HostMounter mounts and unmounts
 * through the agent's CommandRunner (a system call of its compiled helper's, or mount(8)/umount(8) runs).
 *
 * Finding mount points never reads the mount table: /proc/self/mountinfo has a line per mount on the host, and
 * every container root adds one, so reading it at each volume set-up and teardown made pod starts cost more the
 * more pods ran (4% of a burst's profile). A directory is a mount point when its device differs from its parent's
 * (`stat`), which is what every mount the kubelet makes looks like: a tmpfs always has a device of its own. A bind
 * mount of a directory onto the same filesystem is not seen; the kubelet makes none under its pod directories.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostCommands } from '../host/command-runner.js';

/** Mounter mounts and unmounts. */
export interface Mounter {
  /** mountTmpfs mounts a tmpfs of at most `sizeBytes` (0 = the kernel's default, half of RAM) on `dir`. */
  mountTmpfs(dir: string, sizeBytes: number): Promise<void>;
  unmount(dir: string): Promise<void>;
  isMountPoint(dir: string): boolean;
  /** Mount points at or under `dir`, deepest first. */
  mountsUnder(dir: string): string[];
}

/** HostMounter uses the host's mount tools. */
export class HostMounter implements Mounter {
  async mountTmpfs(dir: string, sizeBytes: number): Promise<void> {
    const opts = ['nosuid', 'nodev', ...(sizeBytes > 0 ? [`size=${sizeBytes}`] : [])];
    try {
      await hostCommands.mount('tmpfs', 'tmpfs', dir, opts.join(','));
    } catch (err) {
      throw new Error(`Cannot mount tmpfs on ${dir}: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
    }
  }

  async unmount(dir: string): Promise<void> {
    try {
      await hostCommands.umount(dir);
    } catch {
      // Busy (a container still holds it): detach now, the kernel frees it when the last user goes.
      await hostCommands.umount(dir, true);
    }
  }

  isMountPoint(dir: string): boolean {
    return isMountPoint(dir);
  }

  mountsUnder(dir: string): string[] {
    return mountsUnder(dir);
  }
}

/** isMountPoint: `dir` is a directory on another device than its parent's, or the root (see the file comment). */
export function isMountPoint(dir: string): boolean {
  const st = statOrUndefined(dir);
  if (!st?.isDirectory()) return false;
  const parent = statOrUndefined(dirname(dir));
  return parent === undefined || parent.dev !== st.dev || parent.ino === st.ino;
}

/**
 * mountsUnder walks `dir` for directories on another device than their parent's, deepest first. The walk does not
 * descend into a mount it found (what lies below it goes with it when it is unmounted), nor follow symlinks.
 */
export function mountsUnder(dir: string): string[] {
  const top = statOrUndefined(dir);
  if (!top?.isDirectory()) return [];
  const found: string[] = [];
  if (isMountPoint(dir)) return [dir];
  const walk = (path: string, dev: number): void => {
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const child = join(path, e.name);
      const st = statOrUndefined(child);
      if (!st) continue;
      if (st.dev !== dev) found.push(child);
      else walk(child, dev);
    }
  };
  walk(dir, top.dev);
  return found.sort((a, b) => b.length - a.length);
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
