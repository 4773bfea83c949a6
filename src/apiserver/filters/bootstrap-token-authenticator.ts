/**
 * BootstrapTokenAuthenticator: bearer tokens `<id>.<secret>` (6 + 16 characters of [a-z0-9]) backed by Secrets of
 * type `bootstrap.kubernetes.io/token` named `bootstrap-token-<id>` in kube-system, as upstream's bootstrap
 * authenticator. The Secret must carry `token-id` = id, `token-secret` = secret (compared in constant time),
 * `usage-bootstrap-authentication: "true"`, must not be past its `expiration` (RFC 3339) or being deleted. The user is
 * `system:bootstrap:<id>` in group `system:bootstrappers` plus the `auth-extra-groups` (each must start with
 * `system:bootstrappers:`). Secrets are read from the watch cache when it follows storage, so a deleted or expired
 * token stops working at once without a storage read per request.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../../api/meta/types.js';
import type { Clock } from '../../base/clock/clock.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { UserInfo } from '../request/request-info.js';
import type { Authenticator } from './authentication.js';

/** BOOTSTRAP_TOKEN_SECRET_TYPE is the Secret type of bootstrap tokens. */
export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
/** BOOTSTRAP_TOKEN_PATTERN is the shape of a bootstrap token: id and secret. */
export const BOOTSTRAP_TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
/** BOOTSTRAPPERS_GROUP is the group of every bootstrap token user. */
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';

/** BootstrapTokenAuthenticatorConfig gives the Secret store and the time. */
export interface BootstrapTokenAuthenticatorConfig {
  /** The secrets store; undefined when not served (then no token authenticates). */
  readonly secrets: () => GenericStore | undefined;
  readonly clock: Clock;
}

function dataField(secret: KubeObject, field: string): string | undefined {
  const data = secret['data'] as Record<string, unknown> | undefined;
  const value = data?.[field];
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** BootstrapTokenAuthenticator implements Authenticator for bootstrap tokens. */
export class BootstrapTokenAuthenticator implements Authenticator {
  readonly #c: BootstrapTokenAuthenticatorConfig;

  constructor(config: BootstrapTokenAuthenticatorConfig) {
    this.#c = config;
  }

  async #secret(name: string): Promise<KubeObject | undefined> {
    return this.#c.secrets()?.find('kube-system', name);
  }

  /** authenticateToken checks one token (also used by TokenReview); undefined when it is not a valid bootstrap token. */
  async authenticateToken(token: string): Promise<UserInfo | undefined> {
    const m = BOOTSTRAP_TOKEN_PATTERN.exec(token);
    if (!m) return undefined;
    const [, id = '', secretPart = ''] = m;
    const secret = await this.#secret(`bootstrap-token-${id}`);
    if (!secret || secret['type'] !== BOOTSTRAP_TOKEN_SECRET_TYPE || secret.metadata?.deletionTimestamp) return undefined;
    if (dataField(secret, 'token-id') !== id) return undefined;
    const stored = dataField(secret, 'token-secret');
    if (stored === undefined || !sameText(stored, secretPart)) return undefined;
    if (dataField(secret, 'usage-bootstrap-authentication') !== 'true') return undefined;
    const expiration = dataField(secret, 'expiration');
    if (expiration !== undefined) {
      const at = Date.parse(expiration);
      if (Number.isNaN(at) || at <= this.#c.clock.now()) return undefined;
    }
    const extra = (dataField(secret, 'auth-extra-groups') ?? '').split(',').map((g) => g.trim()).filter((g) => g !== '');
    // A token naming a group outside system:bootstrappers:* is refused outright, as upstream does.
    if (extra.some((g) => !g.startsWith(`${BOOTSTRAPPERS_GROUP}:`))) return undefined;
    return { username: `system:bootstrap:${id}`, groups: [BOOTSTRAPPERS_GROUP, ...extra] };
  }

  /**
   * explainRejection names the expiry of a bootstrap token whose id and secret match its Secret but which has
   * expired, so `tkube join` can say "expired at …" instead of a bare 401. Only someone holding the token's
   * secret learns this; an unknown id or a wrong secret gets no reason (a plain "Unauthorized"), as upstream.
   */
  async explainRejection(req: IncomingMessage): Promise<string | undefined> {
    const m = BOOTSTRAP_TOKEN_PATTERN.exec(/^\s*bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? '');
    if (!m) return undefined;
    const [, id = '', secretPart = ''] = m;
    const secret = await this.#secret(`bootstrap-token-${id}`);
    if (!secret || secret['type'] !== BOOTSTRAP_TOKEN_SECRET_TYPE || dataField(secret, 'token-id') !== id) return undefined;
    const stored = dataField(secret, 'token-secret');
    if (stored === undefined || !sameText(stored, secretPart)) return undefined;
    const expiration = dataField(secret, 'expiration');
    if (expiration === undefined) return undefined;
    const at = Date.parse(expiration);
    if (!Number.isNaN(at) && at > this.#c.clock.now()) return undefined;
    return `bootstrap token "${id}" expired at ${expiration}`;
  }

  async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return m?.[1] ? this.authenticateToken(m[1]) : undefined;
  }
}
