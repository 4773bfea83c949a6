/**
 * Bootstrap (join) tokens and the `cluster-info` ConfigMap, as `k8s.io/cluster-bootstrap` defines them: a token
 * `<id>.<secret>` lives in Secret `kube-system/bootstrap-token-<id>` of type `bootstrap.kubernetes.io/token`;
 * `kube-public/cluster-info` holds a kubeconfig (server and CA, no credentials) that anyone may read, and one
 * `jws-kubeconfig-<id>` signature per token allowed to sign, so a joining node holding the token can tell the
 * ConfigMap came from the cluster.
 */
import type { KubeObject } from '../meta/types.js';

/** BOOTSTRAP_TOKEN_FORMAT is the shape a token must have: id and secret. */
export const BOOTSTRAP_TOKEN_FORMAT = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
/** BOOTSTRAP_TOKEN_SECRET_TYPE is the Secret type of bootstrap tokens. */
export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
/** BOOTSTRAP_TOKEN_SECRET_PREFIX + id is the Secret's name. */
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
/** CLUSTER_INFO_NAMESPACE / CLUSTER_INFO_NAME name the public discovery ConfigMap. */
export const CLUSTER_INFO_NAMESPACE = 'kube-public';
export const CLUSTER_INFO_NAME = 'cluster-info';
/** CLUSTER_INFO_KUBECONFIG_KEY holds the kubeconfig; JWS_KEY_PREFIX + id holds each token's signature of it. */
export const CLUSTER_INFO_KUBECONFIG_KEY = 'kubeconfig';
export const JWS_KEY_PREFIX = 'jws-kubeconfig-';

/** BootstrapToken is what a bootstrap token Secret says. */
export interface BootstrapToken {
  readonly id: string;
  readonly secret: string;
  /** ms since the epoch; undefined = never expires. NaN when the Secret's value is not a timestamp. */
  readonly expiresAt?: number;
  readonly usages: readonly string[];
  readonly description?: string;
  readonly extraGroups: readonly string[];
}

function field(secret: KubeObject, key: string): string | undefined {
  const data = secret['data'] as Record<string, unknown> | undefined;
  const value = data?.[key];
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined;
}

/**
 * readBootstrapToken decodes a bootstrap token Secret (its `data`, base64 as on the wire). Undefined when the
 * Secret is not one: wrong type or name, or id and secret missing or malformed.
 */
export function readBootstrapToken(secret: KubeObject): BootstrapToken | undefined {
  if (secret['type'] !== BOOTSTRAP_TOKEN_SECRET_TYPE) return undefined;
  const id = field(secret, 'token-id') ?? '';
  const tokenSecret = field(secret, 'token-secret') ?? '';
  if (!BOOTSTRAP_TOKEN_FORMAT.test(`${id}.${tokenSecret}`)) return undefined;
  if (secret.metadata?.name !== `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}`) return undefined;
  const data = (secret['data'] as Record<string, unknown> | undefined) ?? {};
  const usages = Object.keys(data)
    .filter((k) => k.startsWith('usage-bootstrap-') && field(secret, k) === 'true')
    .map((k) => k.slice('usage-bootstrap-'.length))
    .sort();
  const expiration = field(secret, 'expiration');
  const description = field(secret, 'description');
  const groups = (field(secret, 'auth-extra-groups') ?? '').split(',').map((g) => g.trim()).filter((g) => g !== '');
  return {
    id,
    secret: tokenSecret,
    ...(expiration !== undefined ? { expiresAt: Date.parse(expiration) } : {}),
    usages,
    ...(description ? { description } : {}),
    extraGroups: groups,
  };
}

/** tokenExpired tells whether the token is past its expiration at `now` (an unreadable expiration counts as past). */
export function tokenExpired(t: BootstrapToken, now: number): boolean {
  return t.expiresAt !== undefined && (Number.isNaN(t.expiresAt) || t.expiresAt <= now);
}
