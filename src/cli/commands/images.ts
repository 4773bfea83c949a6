/**
 * `tkube images import FILE… | pull REF… | list | rm REF… | serve | stand-ins`: the node's image store
 * (`<data-dir>/agent/images`), as `ctr images import|pull` and `crictl images|rmi` are to containerd. Listing
 * and removal read the store directly; the built-in busybox and pause images are added on first use. `serve`
 * publishes the store read-only as a Docker Registry v2 (a local registry other nodes can name as a mirror).
 * `stand-ins` adds the busybox stand-ins that `examples/` runs under the original guides' image names.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { addExampleStandIns, openImageStore, serveImageRegistry } from '../../boot/images.js';
import { CliError } from '../cli-error.js';
import { defaultDataDir } from '../../boot/server-config.js';

interface ImagesFlags {
  dataDir: string;
  privateRegistry?: string;
  address?: string;
  port?: string;
}

/** humanSize prints bytes as crictl does (kB, MB, GB with three significant digits). */
function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toPrecision(3)}${units[i]}`;
}

/** registerImagesCommand adds `tkube images`. */
export function registerImagesCommand(program: Command): void {
  const images = program.command('images').description("Manage the node's images (offline: import archives, list, remove)");
  const dataDir = (c: Command): Command => c.option('--data-dir <dir>', 'the data dir whose image store is used', defaultDataDir());
  dataDir(images.command('import <file...>').description('Import docker save or OCI archives (gzip or not)')).action(async (files: string[], f: ImagesFlags) => {
    const store = await openImageStore(resolve(f.dataDir), { prepare: true });
    for (const file of files) {
      const added = await store.importArchive(resolve(file));
      for (const image of added) process.stdout.write(`${image.repoTags.join(', ') || image.id}  ${image.id.slice(7, 19)}\n`);
    }
  });
  dataDir(images.command('list').alias('ls').description('List images')).action(async (f: ImagesFlags) => {
    const store = await openImageStore(resolve(f.dataDir), { prepare: true });
    const rows: string[][] = [['IMAGE', 'TAG', 'IMAGE ID', 'SIZE']];
    for (const image of await store.listImages()) {
      for (const tag of image.repoTags.length > 0 ? image.repoTags : ['<none>:<none>']) {
        const cut = tag.lastIndexOf(':');
        rows.push([tag.slice(0, cut), tag.slice(cut + 1), image.id.slice(7, 20), humanSize(image.size)]);
      }
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
    for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join('')}\n`);
  });
  dataDir(images.command('pull <ref...>').description('Pull images from registries (mirrors and credentials from the registries config)'))
    .option('--private-registry <file>', 'registries config (k3s registries.yaml format) @default <data-dir>/registries.yaml')
    .action(async (refs: string[], f: ImagesFlags) => {
      const store = await openImageStore(resolve(f.dataDir), { prepare: true, ...(f.privateRegistry ? { privateRegistry: resolve(f.privateRegistry) } : {}) });
      for (const ref of refs) {
        try {
          const id = await store.pullImage(ref);
          process.stdout.write(`${ref}  ${id.slice(7, 19)}\n`);
        } catch (err) {
          throw new CliError(err instanceof Error ? err.message : String(err));
        }
      }
    });
  dataDir(images.command('serve').description("Serve the node's images read-only as a Docker Registry v2 until interrupted"))
    .option('--address <ip>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on', '5000')
    .action(async (f: ImagesFlags) => {
      const port = Number(f.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`invalid --port "${f.port ?? ''}": want 0-65535`);
      const url = await serveImageRegistry(resolve(f.dataDir), f.address ?? '127.0.0.1', port);
      process.stderr.write(`tkube images: serving the image store at ${url}/v2/ (read-only); Ctrl-C stops\n`);
    });
  dataDir(images.command('stand-ins').description("Add the examples' stand-in images (jenkins, jenkins-slave, workbinder/worker, echoserver:1.4, tkube/kd-hello:1.0), built offline from busybox")).action(
    async (f: ImagesFlags) => {
      for (const image of await addExampleStandIns(resolve(f.dataDir))) {
        process.stdout.write(`${image.refs.join(', ')}  ${image.id.slice(7, 19)}  ${image.description}\n`);
      }
    },
  );
  dataDir(images.command('rm <ref...>').description('Remove images by reference or ID')).action(async (refs: string[], f: ImagesFlags) => {
    const store = await openImageStore(resolve(f.dataDir));
    for (const ref of refs) {
      if (!(await store.imageStatus(ref))) {
        process.stderr.write(`tkube: no such image: ${ref}\n`);
        process.exitCode = 1;
        continue;
      }
      await store.removeImage(ref);
      process.stdout.write(`Deleted: ${ref}\n`);
    }
    await store.pruneBlobs();
  });
}
