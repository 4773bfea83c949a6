/**
 * Registry credentials from imagePullSecrets: the `.dockerconfigjson` of a `kubernetes.io/dockerconfigjson`
 * Secret (`{"auths":{"<registry>":{"auth":…}}}`) and the older `.dockercfg` (the same map without `auths`).
 *
 * Keys are matched as the kubelet's credential keyring does, simplified to what users write: a bare host
 * (`myregistry:5000`), a URL (`https://myregistry:5000/v1/`), or docker.io's legacy spellings
 * (`https://index.docker.io/v1/`, `index.docker.io`). A key may carry a path prefix (`host/team`), which then
 * matches only repositories under it; the longest matching key wins.
 */
import type { AuthConfig } from '../cri/image-service.js';
import type { ImageReference } from './image-reference.js';

/** DockerConfigEntry is one registry's credentials as a docker config file stores them. */
interface DockerConfigEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** parseDockerConfig reads a `.dockerconfigjson` or `.dockercfg` document; undefined when it is neither. */
export function parseDockerConfig(text: string): Record<string, DockerConfigEntry> | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const auths = (doc as { auths?: unknown }).auths;
  const map = auths && typeof auths === 'object' && !Array.isArray(auths) ? auths : doc;
  return map as Record<string, DockerConfigEntry>;
}

/** keyScope turns a config key into the host and repository-path prefix it covers. */
function keyScope(key: string): { host: string; path: string } {
  let k = key.trim().replace(/^[a-z]+:\/\//i, '');
  k = k.replace(/\/v[12]\/?$/, '').replace(/\/+$/, '');
  const slash = k.indexOf('/');
  let host = slash >= 0 ? k.slice(0, slash) : k;
  const path = slash >= 0 ? k.slice(slash + 1) : '';
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') host = 'docker.io';
  return { host, path };
}

/**
 * credentialsFor lists the credentials of `configs` (one per pull secret, in the pod's order) that apply to
 * `ref`, most specific key first. Empty when none applies (the pull goes without credentials).
 */
export function credentialsFor(ref: ImageReference, configs: readonly Record<string, DockerConfigEntry>[]): AuthConfig[] {
  const found: { len: number; auth: AuthConfig }[] = [];
  for (const config of configs) {
    for (const [key, entry] of Object.entries(config)) {
      const scope = keyScope(key);
      if (scope.host !== ref.registry) continue;
      if (scope.path && ref.repository !== scope.path && !ref.repository.startsWith(`${scope.path}/`)) continue;
      const auth: AuthConfig = {
        ...(entry.username !== undefined ? { username: entry.username } : {}),
        ...(entry.password !== undefined ? { password: entry.password } : {}),
        ...(entry.auth ? { auth: entry.auth } : {}),
        ...(entry.identitytoken ? { identityToken: entry.identitytoken } : {}),
        ...(entry.registrytoken ? { registryToken: entry.registrytoken } : {}),
      };
      found.push({ len: scope.path.length, auth });
    }
  }
  // Stable: equal specificity keeps the pod's secret order.
  return found.sort((a, b) => b.len - a.len).map((f) => f.auth);
}
