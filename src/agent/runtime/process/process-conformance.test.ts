/**
 * The runtime conformance suite (../../testing/runtime-conformance.ts) on ProcessRuntime. It needs neither root nor
 * runc, only the built-in busybox image (made from the host's busybox-static, which also provides `busybox httpd`
 * on the host for the port-forward case).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runtimeConformance } from '../../testing/runtime-conformance.js';
import { BUSYBOX_PATH, ensureBuiltinImages } from '../../images/builtin-images.js';
import { OciImageStore } from '../../images/oci-image-store.js';
import { ProcessRuntime } from './process-runtime.js';


runtimeConformance(
  'process',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-process-'));
    const images = new OciImageStore({ root: join(dir, 'images') });
    await ensureBuiltinImages(images);
    const root = join(dir, 'process');
    return {
      runtime: new ProcessRuntime({ root, images }),
      images,
      reopen: async () => new ProcessRuntime({ root, images }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  // No skips: container-stats passes with undefined (no cgroups to read), as the contract allows.
  { skip: existsSync(BUSYBOX_PATH) ? false : 'needs busybox-static for the built-in busybox image' },
);
