/**
 * ImageManager: makes sure a container's image is on the node before the container is created, as the
 * kubelet's image manager does — the pull policy, credentials from imagePullSecrets, a per-image back-off, and
 * the events `kubectl describe pod` shows (`Pulling`, `Pulled`, `Failed`, `BackOff`).
 *
 * Contracts:
 *  - `Never`: the image must be present (`ErrImageNeverPull`). `IfNotPresent`: pulled only when absent.
 *    `Always`: pulled every time a container starts. An absent policy is defaulted as the API server does
 *    (`Always` for `:latest` or no tag, else `IfNotPresent`).
 *  - **Offline first (beyond upstream):** with `Always`, when no registry endpoint can be reached at all and the
 *    image is present, the present copy is used and the `Pulled` event says so. A registry that answers "not
 *    found" or "unauthorized" still fails the pull, so credentials keep being checked where a registry exists.
 *  - A failed pull returns `ErrImagePull` and starts a back-off for that pod and image (10 s doubling to 300 s);
 *    asking again inside the back-off returns `ImagePullBackOff` without pulling.
 *  - Credentials: each pull secret that applies to the image's registry is tried in order (most specific key
 *    first), then no credentials; missing secrets are skipped, as upstream does.
 *  - Never throws: every outcome is a value.
 */
import type { Clock } from '../../base/clock/clock.js';
import type { AuthConfig, ImageService } from '../cri/image-service.js';
import { ImagePullError } from '../cri/image-service.js';
import { credentialsFor, parseDockerConfig } from '../images/docker-config.js';
import { tryParseImageReference } from '../images/image-reference.js';

const INITIAL_BACKOFF_MS = 10_000;
const MAX_BACKOFF_MS = 300_000;

/** ImagePullOutcome is the result of ensureImageExists. */
export type ImagePullOutcome =
  | { readonly ok: true; readonly imageId: string }
  | { readonly ok: false; readonly reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName'; readonly message: string; readonly retryAfterMs: number };

/** ImageEventSink records an event about the pod whose image is being ensured. */
export type ImageEventSink = (type: 'Normal' | 'Warning', reason: string, message: string) => void;

/** PullSecretReader reads a Secret's data (base64 values) by namespace and name; undefined when it does not exist. */
export type PullSecretReader = (namespace: string, name: string) => Promise<Readonly<Record<string, string>> | undefined>;

/** ImageManagerConfig constructs an ImageManager. */
export interface ImageManagerConfig {
  readonly images: ImageService;
  readonly clock: Clock;
  readonly readSecret: PullSecretReader;
}

/** The parts of a pod and container the image manager reads. */
export interface ImagePod {
  readonly metadata?: { readonly uid?: string; readonly namespace?: string };
  readonly spec?: { readonly imagePullSecrets?: readonly { readonly name?: string }[] };
}

/** defaultPullPolicy is the API server's default for an image reference. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const ref = tryParseImageReference(image);
  if (!ref || ref.digest) return 'IfNotPresent';
  const explicitTag = /:[\w][\w.-]*$/.test(image.slice(image.lastIndexOf('/') + 1));
  return !explicitTag || ref.tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** ImageManager ensures images; see the file comment. */
export class ImageManager {
  readonly #c: ImageManagerConfig;
  readonly #backoff = new Map<string, { until: number; delayMs: number }>();

  constructor(config: ImageManagerConfig) {
    this.#c = config;
  }

  /** ensureImageExists makes `image` present for a container of `pod`, as `policy` says. */
  async ensureImageExists(pod: ImagePod, image: string, policy: string | undefined, event: ImageEventSink): Promise<ImagePullOutcome> {
    const ref = tryParseImageReference(image);
    if (!ref) {
      const message = `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`;
      event('Warning', 'InspectFailed', message);
      return { ok: false, reason: 'InvalidImageName', message, retryAfterMs: MAX_BACKOFF_MS };
    }
    const effective = policy === 'Always' || policy === 'Never' || policy === 'IfNotPresent' ? policy : defaultPullPolicy(image);
    const present = await this.#c.images.imageStatus(image).catch(() => undefined);
    if (effective === 'Never') {
      if (present) return { ok: true, imageId: present.id };
      const message = `Container image "${image}" is not present with pull policy of Never`;
      event('Warning', 'ErrImageNeverPull', message);
      return { ok: false, reason: 'ErrImageNeverPull', message, retryAfterMs: INITIAL_BACKOFF_MS };
    }
    if (effective === 'IfNotPresent' && present) {
      event('Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return { ok: true, imageId: present.id };
    }
    const key = `${pod.metadata?.uid ?? ''}/${ref.name}`;
    const now = this.#c.clock.now();
    const b = this.#backoff.get(key);
    if (b && b.until > now) {
      const message = `Back-off pulling image "${image}"`;
      event('Normal', 'BackOff', message);
      return { ok: false, reason: 'ImagePullBackOff', message, retryAfterMs: b.until - now };
    }
    event('Normal', 'Pulling', `Pulling image "${image}"`);
    const started = this.#c.clock.now();
    let failure: ImagePullError | undefined;
    for (const auth of [...(await this.#credentials(pod, image)), undefined]) {
      try {
        const id = await this.#c.images.pullImage(image, auth);
        this.#backoff.delete(key);
        const secs = ((this.#c.clock.now() - started) / 1000).toFixed(3);
        const size = (await this.#c.images.imageStatus(image).catch(() => undefined))?.size;
        event('Normal', 'Pulled', `Successfully pulled image "${image}" in ${secs}s${size !== undefined ? `. Image size: ${size} bytes.` : ''}`);
        return { ok: true, imageId: id };
      } catch (err) {
        failure = err instanceof ImagePullError ? err : new ImagePullError(image, err instanceof Error ? err.message : String(err));
        // Wrong credentials: the next secret may be right. Anything else would fail the same way again.
        if (failure.kind !== 'Unauthorized') break;
      }
    }
    if (failure?.kind === 'Unreachable' && present) {
      this.#backoff.delete(key);
      event('Normal', 'Pulled', `Container image "${image}" already present on machine; no registry could be reached, so it was not refreshed`);
      return { ok: true, imageId: present.id };
    }
    const delayMs = b ? Math.min(MAX_BACKOFF_MS, b.delayMs * 2) : INITIAL_BACKOFF_MS;
    this.#backoff.set(key, { until: this.#c.clock.now() + delayMs, delayMs });
    const message = `Failed to pull image "${image}": ${failure?.message.replace(/^Cannot pull image "[^"]*": /, '') ?? 'unknown error'}`;
    event('Warning', 'Failed', message);
    event('Warning', 'Failed', 'Error: ErrImagePull');
    return { ok: false, reason: 'ErrImagePull', message, retryAfterMs: delayMs };
  }

  /** forgetPod drops the back-off state of a pod that is gone. */
  forgetPod(uid: string): void {
    for (const key of this.#backoff.keys()) if (key.startsWith(`${uid}/`)) this.#backoff.delete(key);
  }

  async #credentials(pod: ImagePod, image: string): Promise<AuthConfig[]> {
    const ref = tryParseImageReference(image);
    const names = (pod.spec?.imagePullSecrets ?? []).map((s) => s.name ?? '').filter((n) => n !== '');
    if (!ref || names.length === 0) return [];
    const configs = [];
    for (const name of names) {
      const data = await this.#c.readSecret(pod.metadata?.namespace ?? 'default', name).catch(() => undefined);
      const raw = data?.['.dockerconfigjson'] ?? data?.['.dockercfg'];
      if (!raw) continue;
      const parsed = parseDockerConfig(Buffer.from(raw, 'base64').toString('utf8'));
      if (parsed) configs.push(parsed);
    }
    return credentialsFor(ref, configs);
  }
}
