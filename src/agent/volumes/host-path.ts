/**
 * hostPath: a path of the node, checked against `type` as upstream checks it (and created for the *OrCreate
 * types). Errors are upstream's: `hostPath type check failed: /x is not a directory`.
 */
import { closeSync, lstatSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { SetUpResult, VolumeContext } from './volume-plugin.js';

function stat(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** checkHostPathType applies a HostPathType to `path`; resolves to an error message or undefined. */
export function checkHostPathType(path: string, type: string | undefined): string | undefined {
  const fail = (what: string): string => `hostPath type check failed: ${path} is not ${what}`;
  const st = stat(path);
  switch (type ?? '') {
    case '':
      return undefined;
    case 'DirectoryOrCreate':
      if (!st && !isDanglingLink(path)) {
        mkdirSync(path, { recursive: true, mode: 0o755 });
        return undefined;
      }
      return st?.isDirectory() ? undefined : fail('a directory');
    case 'Directory':
      return st?.isDirectory() ? undefined : fail('a directory');
    case 'FileOrCreate':
      if (!st && !isDanglingLink(path)) {
        mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
        closeSync(openSync(path, 'a', 0o644));
        return undefined;
      }
      return st?.isFile() ? undefined : fail('a file');
    case 'File':
      return st?.isFile() ? undefined : fail('a file');
    case 'Socket':
      return st?.isSocket() ? undefined : fail('a socket file');
    case 'CharDevice':
      return st?.isCharacterDevice() ? undefined : fail('a character device');
    case 'BlockDevice':
      return st?.isBlockDevice() ? undefined : fail('a block device');
    default:
      return `hostPath type check failed: unsupported type "${type ?? ''}"`;
  }
}

function isDanglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** setUpHostPath checks the path's type; the path itself is what containers get. */
export function setUpHostPath(ctx: VolumeContext): Promise<SetUpResult> {
  const spec = ctx.volume.hostPath;
  const path = spec?.path ?? '';
  if (!path.startsWith('/')) return Promise.resolve({ error: `hostPath ${path} must be an absolute path` });
  const err = checkHostPathType(path, spec?.type);
  return Promise.resolve(err ? { error: err } : { path, readOnly: false });
}
