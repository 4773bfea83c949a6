/**
 * Image references as the container world spells them, normalised the way Docker and containerd do:
 * `busybox` → `docker.io/library/busybox:latest`, `me/app:1` → `docker.io/me/app:1`,
 * `localhost:5000/app` → `localhost:5000/app:latest`, and `name@sha256:<hex>` naming one manifest.
 */

/** ImageReference is a parsed, normalised reference. */
export interface ImageReference {
  /** Registry host (and port): `docker.io`, `registry.k8s.io`, `localhost:5000`. */
  readonly registry: string;
  /** Repository path within the registry: `library/busybox`. */
  readonly repository: string;
  /** The tag, when the reference has one (`latest` when it has neither tag nor digest). */
  readonly tag?: string;
  /** `sha256:<hex>`, when the reference pins a digest. */
  readonly digest?: string;
  /** The canonical string: `registry/repository:tag`, or `registry/repository@digest`. */
  readonly name: string;
}

const DEFAULT_REGISTRY = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** parseImageReference normalises `ref`; throws `Cannot parse image reference "x": …` when it is not one. */
export function parseImageReference(ref: string): ImageReference {
  const fail = (why: string): Error => new Error(`Cannot parse image reference "${ref}": ${why}`);
  let rest = ref.trim();
  if (rest === '') throw fail('it is empty');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw fail('the digest is not sha256:<64 hex digits>');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw fail(`invalid tag "${tag}"`);
  }
  const parts = rest.split('/');
  let registry = DEFAULT_REGISTRY;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
  }
  if (registry === 'index.docker.io') registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && parts.length === 1) parts.unshift('library');
  for (const p of parts) if (!COMPONENT.test(p)) throw fail(`invalid repository name component "${p}"`);
  const repository = parts.join('/');
  if (!tag && !digest) tag = 'latest';
  const base = `${registry}/${repository}`;
  const name = digest ? `${base}@${digest}` : `${base}:${tag ?? 'latest'}`;
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), name };
}

/** tryParseImageReference is parseImageReference returning undefined instead of throwing. */
export function tryParseImageReference(ref: string): ImageReference | undefined {
  try {
    return parseImageReference(ref);
  } catch {
    return undefined;
  }
}
