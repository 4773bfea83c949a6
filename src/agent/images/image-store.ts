/**
 * ImageStore: the agent's own image store (what containerd's content store and snapshotter are to it), used by
 * the runc and process backends. It is an ImageService plus what a runtime needs to run an image: its config
 * and its layers unpacked to directories (shared by every container of every image that has the layer).
 *
 * Contracts:
 *  - `unpacked` resolves only once every layer is fully unpacked (a crash mid-unpack leaves no directory that
 *    looks complete); layer directories are read-only to callers: runtimes stack them under an overlay upper dir.
 *  - `importArchive` accepts `docker save` tarballs and OCI image layout archives (optionally gzip-compressed)
 *    and resolves with the images it added (tags from the archive).
 */
import type { Image, ImageService } from '../cri/image-service.js';

/** ImageConfig is the part of an OCI image config a runtime uses. */
export interface ImageConfig {
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  /** `KEY=value` entries. */
  readonly env: readonly string[];
  readonly workingDir: string;
  /** `uid`, `uid:gid`, `name` or `name:group` (resolved against the rootfs's /etc/passwd by the runtime). */
  readonly user: string;
  readonly stopSignal?: string;
  readonly exposedPorts: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** UnpackedImage is an image ready to run. */
export interface UnpackedImage {
  readonly id: string;
  /** The reference it was resolved from, normalised. */
  readonly ref: string;
  readonly config: ImageConfig;
  /** Layer directories, lowest (base) layer first. */
  readonly layerDirs: readonly string[];
}

/** ImageStore is the node's local image store. */
export interface ImageStore extends ImageService {
  /** unpacked resolves with a present image ready to run, unpacking layers first if needed; undefined when absent. */
  unpacked(ref: string): Promise<UnpackedImage | undefined>;
  /** importArchive adds the images in a `docker save` or OCI archive file. */
  importArchive(path: string): Promise<Image[]>;
}
