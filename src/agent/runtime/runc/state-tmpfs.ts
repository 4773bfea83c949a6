/**
 * The runc runtime's state directory on a tmpfs of its own.
 *
 * What a container start writes under the runtime's root — its record, its bundle and `config.json`, runc's state,
 * the pid and status files, the sandbox's `hosts`, `resolv.conf` and `hostname` — lives as long as the container, and
 * containers do not outlive the machine. containerd keeps the same things under `/run/containerd`, a tmpfs on any
 * systemd machine; here each node mounts one at its state directory, because `/run` is not always a tmpfs (it is
 * the root file system on the machines this was measured on) and because several nodes share a machine (dev
 * clusters, tests), each with its own data dir. On a tmpfs a file costs no inode allocation on the data dir's file
 * system: on a journal-less ext4 that is a search past every inode freed in the last minute (docs/benchmarks.md,
 * issue 6 sessions 12 and 13).
 *
 * The mount survives the agent's process (an agent restarted after a kill finds its containers), not a reboot —
 * what upstream assumes of `/run` too; the runtime then removes the writable layers nobody names any more
 * (runc-runtime.ts). The node's clean-up (`tkube down`, node-cleanup.ts) unmounts it with the pods' volumes, after
 * the pods are gone.
 *
 * Contract of mountStateTmpfs: idempotent; never hides anything. It mounts only over a directory that holds no
 * records and no mounts — one that is new, or left by a node whose pods are all gone (its leftover files, the
 * runtime's own, are removed first). A directory holding records (a node that ran before this layout, its pods still
 * running) stays on disk, and says why; so does one where `mount` fails (no root, no tmpfs in a user namespace).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { dirEntries } from '../../../base/fs/dir-entries.js';
import { mountPoints } from '../../../base/fs/mount-points.js';

/** How much of the machine's memory the state may take: records and bundles are a few kB per container. */
const DEFAULT_SIZE = '256m';

/** StateTmpfs is where a node's runtime state ended up. */
export type StateTmpfs = { readonly mounted: true; readonly already: boolean } | { readonly mounted: false; readonly reason: string };

/** What a state directory holds, for mountStateTmpfs. */
export interface StateTmpfsOptions {
  /** Subdirectories whose entries are records a mount must not hide. @default the runtime's: sandboxes, containers */
  readonly holds?: readonly string[];
  /** The mount's source name, which says whose it is in the mount table. @default tkube-runc-state */
  readonly source?: string;
  /** The tmpfs's `size` option (only what is written takes memory). @default 256m */
  readonly size?: string;
}

/**
 * mountStateTmpfs puts `dir` on a tmpfs of its own unless it is one already; see the file comment. The node's
 * volatile pod files (boot/node.ts) use it too, with their own `holds`.
 */
export function mountStateTmpfs(dir: string, options: StateTmpfsOptions = {}): StateTmpfs {
  mkdirSync(dir, { recursive: true });
  const path = realpathSync(dir);
  const mounts = mountPoints();
  if (mounts.includes(path)) return { mounted: true, already: true };
  if (mounts.some((m) => m.startsWith(`${path}/`))) return { mounted: false, reason: 'something is mounted under it (containers of a node that kept its state on disk)' };
  for (const kind of options.holds ?? ['sandboxes', 'containers']) {
    if (dirEntries(join(path, kind)).length > 0) return { mounted: false, reason: `it holds ${kind} of a node that kept its state on disk` };
  }
  // Only the runtime's own leftovers (an empty runc root, the shim, removals under way): nothing a mount may hide.
  for (const name of dirEntries(path)) rmSync(join(path, name), { recursive: true, force: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `mode=0755,size=${options.size ?? DEFAULT_SIZE}`, options.source ?? 'tkube-runc-state', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    return { mounted: false, reason: `mount failed: ${(err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message}` };
  }
  return { mounted: true, already: false };
}
