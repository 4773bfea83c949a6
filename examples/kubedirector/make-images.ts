/**
 * Builds the example app's image offline and adds it to a tkube node's image store:
 *
 *   node --import tsx examples/kubedirector/make-images.ts [--data-dir DIR]    (default: tkube's data dir)
 *
 * `docker.io/tkube/kd-hello:1.0` is the built-in busybox layer (the host's busybox-static) plus a layer holding
 * `/usr/local/bin/kd-start`: it writes a greeting naming the member, links the member's configmeta into the web
 * root and serves it with busybox httpd — the controller on 8080, workers on 9090 (the app's service endpoints) — and
 * stops at once on SIGTERM.
 * Deterministic: running it again changes nothing.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { pack as tarPack } from 'tar-stream';
import { busyboxLayer } from '../../src/agent/images/builtin-images.js';
import { openImageStore } from '../../src/boot/images.js';
import { defaultDataDir } from '../../src/boot/server-config.js';

/** KD_HELLO_IMAGE is the reference the example app names. */
export const KD_HELLO_IMAGE = 'docker.io/tkube/kd-hello:1.0';

const START = `#!/bin/sh
# KubeDirector example member: greet, publish the configmeta, serve.
mkdir -p /www
echo "hello from $(hostname), role $KD_ROLE of KubeDirectorCluster $KD_CLUSTER (app $KD_APP)" > /www/index.html
ln -sf /etc/guestconfig/configmeta.json /www/configmeta.json
case "$KD_ROLE" in controller) port=8080 ;; *) port=9090 ;; esac
echo "serving on :$port"
# PID 1 gets no default SIGTERM action: stop on TERM ourselves, or deleting a member waits its whole grace period.
httpd -f -v -p "$port" -h /www &
trap 'kill $!; exit 0' TERM INT
wait
`;

function appLayer(): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<Buffer>((res) => pack.on('end', () => res(Buffer.concat(chunks))));
  const h = { uid: 0, gid: 0, mtime: new Date(0) };
  pack.entry({ ...h, name: 'usr/', type: 'directory', mode: 0o755 });
  pack.entry({ ...h, name: 'usr/local/', type: 'directory', mode: 0o755 });
  pack.entry({ ...h, name: 'usr/local/bin/', type: 'directory', mode: 0o755 });
  pack.entry({ ...h, name: 'usr/local/bin/kd-start', mode: 0o755 }, START);
  pack.finalize();
  return done;
}

/** addExampleImages adds the example image to the store of `dataDir`. */
export async function addExampleImages(dataDir: string): Promise<string[]> {
  const store = await openImageStore(dataDir, { prepare: true });
  const layers = [await busyboxLayer(), await appLayer()];
  const diffIds = layers.map((l) => `sha256:${createHash('sha256').update(l).digest('hex')}`);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '1970-01-01T00:00:00Z',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/usr/local/bin/kd-start'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  store.addImage(config, layers, [KD_HELLO_IMAGE]);
  return [KD_HELLO_IMAGE];
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const i = process.argv.indexOf('--data-dir');
  const dataDir = resolve(i >= 0 ? (process.argv[i + 1] ?? '') : defaultDataDir());
  for (const ref of await addExampleImages(dataDir)) process.stdout.write(`${ref}\n`);
}
