/**
 * ctrRunReference: the containerd reference of the pod start benchmark (issue 6: pod start p50 ≤ 1.0× `ctr run`
 * p50). A private containerd (src/agent/runtime/cri/containerd-daemon.ts: own root, state, socket and runc root,
 * nothing under the host's /var/lib/containerd) gets the node's busybox image through `ctr images import` of an
 * OCI archive of it, then `ctr run -d` starts a container running `sleep 3600` `count` times, one at a time; each
 * sample is one `ctr run -d` invocation (snapshot, container, shim, runc create + start, detach).
 *
 * Contract: everything made here is gone when the promise settles, success or failure: tasks (force-deleted),
 * containers with their snapshots, the daemon (stopped by its pid), its mounts, its dir. Resolves with a skip
 * reason instead of samples when containerd or ctr is not installed.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { exportOciArchive } from '../src/agent/images/oci-archive-export.js';
import { startContainerd, writeContainerdConfig, type RunningContainerd } from '../src/agent/runtime/cri/containerd-daemon.js';

const run = promisify(execFile);
const NAMESPACE = 'k8s.io';

/** CtrRunReference is either the samples or why there are none. */
export type CtrRunReference = { readonly startMs: number[] } | { readonly skipped: string };

/** ctrRunReference times `count` detached `ctr run`s of `imageRef` (from the OCI store at `imageStoreRoot`). */
export async function ctrRunReference(imageStoreRoot: string, imageRef: string, count: number): Promise<CtrRunReference> {
  for (const tool of ['containerd', 'ctr']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) return { skipped: `${tool} is not installed` };
  }
  const archive = await exportOciArchive(imageStoreRoot, imageRef);
  if (!archive) throw new Error(`Cannot export ${imageRef} from ${imageStoreRoot}: not in the store`);
  // Short: the socket path must stay under the unix socket limit.
  const dir = mkdtempSync(join(tmpdir(), 'tkbcd-'));
  let daemon: RunningContainerd | undefined;
  const ids: string[] = [];
  let ctr: (args: readonly string[]) => Promise<string> = () => Promise.resolve('');
  try {
    const paths = await writeContainerdConfig(dir, { bridgeName: `tkbcd${process.pid % 1_000_000}` });
    daemon = await startContainerd(dir, { bridgeName: paths.bridgeName });
    ctr = async (args) => (await run('ctr', ['-a', paths.socket, '-n', NAMESPACE, ...args], { encoding: 'utf8' })).stdout;
    const archivePath = join(dir, 'image.tar');
    writeFileSync(archivePath, archive);
    await ctr(['images', 'import', archivePath]);
    const names = (await ctr(['images', 'ls', '-q'])).split('\n').filter((n) => n !== '' && !n.startsWith('sha256:'));
    // The archive carries every tag of the image; run the one asked for.
    const image = names.find((n) => n.endsWith(`/${imageRef}`)) ?? names[0];
    if (image === undefined) throw new Error('Cannot run the containerd reference: the image import named no image');
    const runcRoot = join(paths.state, 'runc');
    const startMs: number[] = [];
    // One unmeasured run first: the snapshotter unpacks the layer on the first container.
    for (let i = 0; i <= count; i++) {
      const id = `tkb-${process.pid}-${i}`;
      ids.push(id);
      const t0 = performance.now();
      await ctr(['run', '-d', '--null-io', '--snapshotter', 'overlayfs', '--runc-root', runcRoot, image, id, 'sleep', '3600']);
      if (i > 0) startMs.push(performance.now() - t0);
    }
    return { startMs };
  } finally {
    for (const id of ids) {
      await ctr(['tasks', 'delete', '--force', id]).catch(() => undefined);
      await ctr(['containers', 'delete', id]).catch(() => undefined);
    }
    // stop() also unmounts what is left under the dir and deletes the (never used) CNI bridge.
    await daemon?.stop();
    killLeftoverShims(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * killLeftoverShims kills (by pid) the shims of this daemon that a failed task delete left running: they name the
 * daemon's socket under `dir` on their command line. Their containers die with them (runc's pid namespace).
 */
function killLeftoverShims(dir: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string[];
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    if ((cmdline[0] ?? '').includes('containerd-shim') && cmdline.some((a) => a.startsWith(`${dir}/`))) {
      try {
        process.kill(Number(entry), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
