/**
 * CriImageService: the ImageService over a CRI runtime's ImageService (containerd), with the node's own image
 * store as the source of images.
 *
 * containerd cannot reach a registry from these machines, and the images a node has (the built-in busybox and
 * pause, what `tkube images import` added) live in our OCI store. So `pullImage` first looks there: an image the
 * store has, and containerd has not (or has under another ID, after a re-import), is exported as an OCI archive
 * and fed to `ctr images import` in containerd's `k8s.io` namespace, where the CRI plugin sees it. Only an image
 * the store lacks goes to CRI PullImage (a registry the runtime can reach). We chose `ctr import` over serving a
 * registry from the store: it needs no listener, no registry mirror config, and ctr ships with containerd.
 *
 * Errors: a pull that fails rejects with ImagePullError (the kubelet's ErrImagePull); other failures with the
 * CRI call's error.
 */
import { execFile } from 'node:child_process';
import { statfsSync } from 'node:fs';
import type { AuthConfig, Image, ImageFsInfo, ImageService } from '../../cri/image-service.js';
import { ImagePullError } from '../../cri/image-service.js';
import type { CriClient, CriMessage } from './cri-client.js';
import { CriCallError, isCriNotFound, socketPathOf } from './cri-client.js';

/** LocalImageSource is where images come from before containerd has them: the node's own store. */
export interface LocalImageSource {
  imageStatus(ref: string): Promise<Image | undefined>;
  /** archive resolves with an OCI layout archive of the image `ref` names, or undefined when absent. */
  archive(ref: string): Promise<Buffer | undefined>;
}

/** CriImageServiceConfig constructs a CriImageService. */
export interface CriImageServiceConfig {
  readonly client: CriClient;
  /** The runtime's endpoint (`unix:///…/containerd.sock`); `ctr` talks to the same socket. */
  readonly endpoint: string;
  readonly local?: LocalImageSource;
  /** @default "ctr" on the PATH */
  readonly ctrPath?: string;
}

/** toImage reads a CRI Image message. */
function toImage(m: CriMessage): Image {
  return {
    id: String(m['id'] ?? ''),
    repoTags: (m['repoTags'] ?? []) as string[],
    repoDigests: (m['repoDigests'] ?? []) as string[],
    size: Number(m['size'] ?? 0),
    ...(m['pinned'] ? { pinned: true } : {}),
  };
}

/** CriImageService lists, imports, pulls and removes containerd's images; see the file comment. */
export class CriImageService implements ImageService {
  readonly #client: CriClient;
  readonly #socket: string;
  readonly #local: LocalImageSource | undefined;
  readonly #ctr: string;
  /** Imports in flight, by reference, so concurrent pod workers import an image once. */
  readonly #importing = new Map<string, Promise<string>>();

  constructor(config: CriImageServiceConfig) {
    this.#client = config.client;
    this.#socket = socketPathOf(config.endpoint);
    this.#local = config.local;
    this.#ctr = config.ctrPath ?? 'ctr';
  }

  async listImages(): Promise<Image[]> {
    const res = await this.#client.image('ListImages', {});
    return ((res['images'] ?? []) as CriMessage[]).map(toImage);
  }

  async imageStatus(ref: string): Promise<Image | undefined> {
    try {
      const res = await this.#client.image('ImageStatus', { image: { image: ref } });
      const image = res['image'] as CriMessage | null | undefined;
      return image && image['id'] ? toImage(image) : undefined;
    } catch (err) {
      if (isCriNotFound(err)) return undefined;
      throw err;
    }
  }

  async pullImage(ref: string, auth?: AuthConfig): Promise<string> {
    const local = await this.#local?.imageStatus(ref);
    const present = await this.imageStatus(ref).catch(() => undefined);
    if (local) {
      if (present?.id === local.id) return present.id;
      return this.#importOnce(ref);
    }
    if (present) return present.id;
    try {
      const res = await this.#client.image('PullImage', { image: { image: ref }, ...(auth ? { auth: { username: auth.username ?? '', password: auth.password ?? '', auth: auth.auth ?? '', identityToken: auth.identityToken ?? '', registryToken: auth.registryToken ?? '' } } : {}) });
      const status = await this.imageStatus(String(res['imageRef'] ?? ref));
      return status?.id ?? String(res['imageRef'] ?? '');
    } catch (err) {
      const why = err instanceof CriCallError ? err.details : err instanceof Error ? err.message : String(err);
      throw new ImagePullError(ref, `${why} (the image is not in the node's image store either; add it with \`tkube images import\`)`);
    }
  }

  #importOnce(ref: string): Promise<string> {
    let p = this.#importing.get(ref);
    if (!p) {
      p = this.#import(ref).finally(() => this.#importing.delete(ref));
      this.#importing.set(ref, p);
    }
    return p;
  }

  /** #import hands the store's image to containerd through `ctr images import` and resolves with its ID there. */
  async #import(ref: string): Promise<string> {
    const archive = await this.#local?.archive(ref);
    if (!archive) throw new ImagePullError(ref, 'it vanished from the node\'s image store during the pull');
    await new Promise<void>((resolve, reject) => {
      const child = execFile(this.#ctr, ['--address', this.#socket, '--namespace', 'k8s.io', 'images', 'import', '--snapshotter', 'overlayfs', '-'], { timeout: 120_000, maxBuffer: 4 * 1024 * 1024 }, (err, _stdout, stderr) => {
        if (err) reject(new ImagePullError(ref, `ctr images import failed: ${stderr.trim() || err.message}`));
        else resolve();
      });
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(archive);
    });
    const status = await this.imageStatus(ref);
    if (!status) throw new ImagePullError(ref, 'containerd does not list the image after importing it');
    return status.id;
  }

  async removeImage(ref: string): Promise<void> {
    try {
      await this.#client.image('RemoveImage', { image: { image: ref } });
    } catch (err) {
      if (!isCriNotFound(err)) throw err;
    }
  }

  async imageFsInfo(): Promise<ImageFsInfo> {
    const res = await this.#client.image('ImageFsInfo', {});
    const fs = ((res['imageFilesystems'] ?? []) as CriMessage[])[0];
    if (!fs) throw new Error('Cannot read the image filesystem: the runtime reported none');
    const mountpoint = String((fs['fsId'] as CriMessage | null)?.['mountpoint'] ?? '');
    const usedBytes = Number((fs['usedBytes'] as CriMessage | null)?.['value'] ?? 0);
    try {
      const s = statfsSync(mountpoint);
      return { mountpoint, usedBytes, capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize };
    } catch {
      return { mountpoint, usedBytes, capacityBytes: 0, availableBytes: 0 };
    }
  }
}
