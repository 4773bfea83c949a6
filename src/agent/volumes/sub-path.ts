/**
 * subPath: a volumeMount of one path inside a volume. The path is walked from the volume's root one element at a
 * time; missing directories are created (as upstream does), and a symlink is followed only when where it leads
 * is still inside the volume — so a container that planted `link -> /` in a shared volume cannot get the
 * node's root bind-mounted into its next container. The result is the resolved real path, which is what gets
 * bind-mounted (runc does not re-resolve a symlinked path the container could swap in the meantime).
 */
import { lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

export type SubPathResult = { readonly path: string; readonly error?: undefined } | { readonly error: string; readonly path?: undefined };

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);
}

/** resolveSubPath resolves `subPath` inside `volumeRoot` safely; see the file comment. */
export function resolveSubPath(volumeRoot: string, subPath: string): SubPathResult {
  if (subPath.startsWith('/')) return { error: `error SubPath \`${subPath}\` must not be an absolute path` };
  const parts = subPath.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { error: `unable to provision SubPath \`${subPath}\`: must not contain '..'` };
  let root: string;
  try {
    root = realpathSync(volumeRoot);
  } catch (err) {
    return { error: `volume path ${volumeRoot} is not accessible: ${(err as Error).message}` };
  }
  let cur = root;
  for (const part of parts) {
    const next = join(cur, part);
    let st;
    try {
      st = lstatSync(next);
    } catch {
      st = undefined;
    }
    if (!st) {
      try {
        mkdirSync(next, { mode: 0o755 });
      } catch (err) {
        return { error: `cannot create subPath ${join(volumeRoot, subPath)}: ${(err as Error).message}` };
      }
      cur = next;
      continue;
    }
    if (st.isSymbolicLink()) {
      let target: string;
      try {
        target = realpathSync(next);
      } catch {
        return { error: `subpath "${join(volumeRoot, subPath)}" is a dangling symlink` };
      }
      if (!within(root, target)) return { error: `subpath "${target}" not within volume path "${volumeRoot}"` };
      cur = target;
      continue;
    }
    cur = next;
  }
  return { path: cur };
}
