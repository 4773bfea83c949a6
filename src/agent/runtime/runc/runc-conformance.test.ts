/**
 * The runtime conformance suite (../../testing/runtime-conformance.ts) on RuncRuntime: needs root, runc,
 * busybox-static and a C compiler (containerHostMissing). Network namespaces carry a per-run prefix and the
 * sandboxes a per-run cgroup parent, so the cleanup removes exactly what this run made. Host commands go through
 * the compiled helper, as on a node (command-runner.ts; its bash fallback has tests of its own).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { useCompiledHelper } from '../../host/command-runner.js';
import { runtimeConformance } from '../../testing/runtime-conformance.js';
import { ensureBuiltinImages } from '../../images/builtin-images.js';
import { OciImageStore } from '../../images/oci-image-store.js';
import { containerHostMissing } from '../../../../test/harness/host-tools.js';
import { RuncRuntime } from './runc-runtime.js';

const prefix = `tkc${randomBytes(3).toString('hex')}-`;
const binDir = mkdtempSync(join(tmpdir(), 'tkube-runc-conformance-bin-'));
after(() => rmSync(binDir, { recursive: true, force: true }));

runtimeConformance(
  'runc',
  async () => {
    await useCompiledHelper(binDir);
    const dir = mkdtempSync(join(tmpdir(), 'tkube-runc-conformance-'));
    const images = new OciImageStore({ root: join(dir, 'images') });
    await ensureBuiltinImages(images);
    const root = join(dir, 'runc');
    return {
      runtime: new RuncRuntime({ root, images, netnsPrefix: prefix }),
      images,
      reopen: async () => new RuncRuntime({ root, images, netnsPrefix: prefix }),
      cleanup: async () => {
        // Whatever a failed case left: runc containers, overlay mounts, netns, the cgroup parent.
        execFileSync('sh', ['-c', `[ -d ${root}/runc ] && runc --root ${root}/runc list -q 2>/dev/null | xargs -r -n1 runc --root ${root}/runc delete --force; grep -o '${root}[^ ]*' /proc/mounts | xargs -r -n1 umount -l; true`]);
        for (const ns of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n')) {
          const name = ns.split(' ')[0] ?? '';
          if (name.startsWith(prefix)) execFileSync('ip', ['netns', 'delete', name]);
        }
        execFileSync('sh', ['-c', `for c in /sys/fs/cgroup/*/${prefix}cg; do [ -d "$c" ] && rmdir "$c"; done; true`]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  { skip: containerHostMissing(), cgroupParent: `/${prefix}cg` },
);
