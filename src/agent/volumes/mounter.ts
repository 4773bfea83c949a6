/**
 * Mounter: the few mount operations volumes need (tmpfs for `emptyDir.medium: Memory`), behind an interface so
 * plugins are testable without root. HostMounter runs mount(8)/umount(8) and reads /proc/self/mountinfo.
 */
import { readFileSync } from 'node:fs';
import { hostCommands } from '../host/command-runner.js';

/** run runs a mount tool through the agent's CommandRunner (forked by a small helper, not the agent). */
const run = (cmd: string, args: readonly string[]): Promise<string> => hostCommands.run(cmd, args);

/** Mounter mounts and unmounts. */
export interface Mounter {
  /** mountTmpfs mounts a tmpfs of at most `sizeBytes` (0 = the kernel's default, half of RAM) on `dir`. */
  mountTmpfs(dir: string, sizeBytes: number): Promise<void>;
  unmount(dir: string): Promise<void>;
  isMountPoint(dir: string): boolean;
  /** Mount points at or under `dir`, deepest first. */
  mountsUnder(dir: string): string[];
}

function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** HostMounter uses the host's mount tools. */
export class HostMounter implements Mounter {
  async mountTmpfs(dir: string, sizeBytes: number): Promise<void> {
    const opts = ['nosuid', 'nodev', ...(sizeBytes > 0 ? [`size=${sizeBytes}`] : [])];
    try {
      await run('mount', ['-t', 'tmpfs', '-o', opts.join(','), 'tmpfs', dir]);
    } catch (err) {
      throw new Error(`Cannot mount tmpfs on ${dir}: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
    }
  }

  async unmount(dir: string): Promise<void> {
    try {
      await run('umount', [dir]);
    } catch {
      // Busy (a container still holds it): detach now, the kernel frees it when the last user goes.
      await run('umount', ['-l', dir]);
    }
  }

  isMountPoint(dir: string): boolean {
    return this.#mountPoints().includes(dir);
  }

  mountsUnder(dir: string): string[] {
    return this.#mountPoints()
      .filter((m) => m === dir || m.startsWith(`${dir}/`))
      .sort((a, b) => b.length - a.length);
  }

  #mountPoints(): string[] {
    try {
      return readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[4])
        .filter((p): p is string => p !== undefined)
        .map(unescapeMountPath);
    } catch {
      return [];
    }
  }
}
