/**
 * ImageService: the node's images, in the shape of CRI v1's ImageService. The runc and process backends use
 * the agent's own image store (src/agent/images); the containerd backend translates to CRI gRPC.
 *
 * Contracts:
 *  - References are normalised as the container world does: `busybox` = `docker.io/library/busybox:latest`,
 *    a digest reference (`name@sha256:...`) names exactly that manifest.
 *  - `pullImage` is idempotent: pulling a present image re-checks the registry only when asked to
 *    (`imagePullPolicy: Always`, which the kubelet expresses by calling pullImage at all).
 *  - A reference that is not present and cannot be pulled rejects with `ImagePullError` (the kubelet turns it
 *    into `ErrImagePull` / `ImagePullBackOff`).
 */

/** Image is one image in the store. */
export interface Image {
  /** `sha256:<digest of the image config>`, the same for every tag of the image. */
  readonly id: string;
  /** Normalised tags (`docker.io/library/busybox:latest`). */
  readonly repoTags: readonly string[];
  /** `repo@sha256:<manifest digest>` references. */
  readonly repoDigests: readonly string[];
  /** Bytes on disk (compressed layers). */
  readonly size: number;
  /** True for images the node needs itself (pause); garbage collection never removes them. */
  readonly pinned?: boolean;
}

/** AuthConfig is a registry credential (from imagePullSecrets or the node's registry configuration). */
export interface AuthConfig {
  readonly username?: string;
  readonly password?: string;
  /** base64(username:password), as in a docker config.json. */
  readonly auth?: string;
  readonly identityToken?: string;
  readonly registryToken?: string;
}

/** ImageFsInfo is the image filesystem's usage (for DiskPressure and image GC). */
export interface ImageFsInfo {
  readonly mountpoint: string;
  readonly usedBytes: number;
  readonly capacityBytes: number;
  readonly availableBytes: number;
}

/** ImageService lists, pulls and removes images. */
export interface ImageService {
  listImages(): Promise<Image[]>;
  /** imageStatus resolves with the image a reference (tag, digest or ID) names, or undefined when absent. */
  imageStatus(ref: string): Promise<Image | undefined>;
  /** pullImage fetches `ref` (with `auth` when given) and resolves with the image ID. */
  pullImage(ref: string, auth?: AuthConfig): Promise<string>;
  /** removeImage removes a tag, or the whole image when `ref` is its ID; unknown references are a no-op. */
  removeImage(ref: string): Promise<void>;
  imageFsInfo(): Promise<ImageFsInfo>;
}

/**
 * ImagePullErrorKind says why a pull failed: the registry said the image does not exist (`NotFound`) or refused
 * the credentials (`Unauthorized`), could not be reached at all (`Unreachable`: the kubelet may then run a copy
 * it already has), or the reference or content is bad (`Invalid`).
 */
export type ImagePullErrorKind = 'NotFound' | 'Unauthorized' | 'Unreachable' | 'Invalid';

/** ImagePullError says an image could not be pulled; `message` is what `kubectl describe` shows. */
export class ImagePullError extends Error {
  constructor(
    ref: string,
    reason: string,
    readonly kind: ImagePullErrorKind = 'Invalid',
  ) {
    super(`Cannot pull image "${ref}": ${reason}`);
    this.name = 'ImagePullError';
  }
}
