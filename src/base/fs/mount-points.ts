/**
 * mountPoints lists the mount points of this process's mount namespace, from `/proc/self/mounts`, with the kernel's
 * octal escapes (`\040` for a space, `\011`, `\012`, `\134`) decoded. mountPointsUnder keeps those strictly below a
 * directory, deepest first: the order to unmount them in, so that no mount point is busy with another under it.
 */
import { readFileSync } from 'node:fs';

export function mountPoints(): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m !== '');
}

export function mountPointsUnder(dir: string): string[] {
  return mountPoints()
    .filter((m) => m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}
