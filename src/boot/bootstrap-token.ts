/**
 * Bootstrap (join) tokens as kubeadm makes them: a token `<id>.<secret>` ([a-z0-9]{6} "." [a-z0-9]{16}) stored as
 * Secret `kube-system/bootstrap-token-<id>` of type `bootstrap.kubernetes.io/token`, created through the API like
 * any client (the admin credentials of the data dir). The API server's BootstrapTokenAuthenticator accepts it.
 */
import { formatTimestamp } from '../api/meta/timestamp.js';
import { randomInt } from 'node:crypto';
import type { KubeObject } from '../api/meta/types.js';
import type { RestClient } from '../client/rest-client.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** BOOTSTRAP_TOKEN_FORMAT is the shape a join token must have. */
export const BOOTSTRAP_TOKEN_FORMAT = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
/** DEFAULT_NODE_TOKEN_GROUP is kubeadm's extra group for node join tokens. */
export const DEFAULT_NODE_TOKEN_GROUP = 'system:bootstrappers:kubeadm:default-node-token';

/** BootstrapTokenOptions describe a token to create. */
export interface BootstrapTokenOptions {
  /** The token; generated when unset. Must match BOOTSTRAP_TOKEN_FORMAT. */
  readonly token?: string;
  /** Lifetime in milliseconds; 0 = never expires. */
  readonly ttlMs: number;
  readonly description?: string;
  /** Extra groups, each starting with `system:bootstrappers:`. */
  readonly groups: readonly string[];
  /** Usages, e.g. authentication, signing. */
  readonly usages: readonly string[];
  /** Now, in ms since the epoch. */
  readonly now: number;
}

function randomText(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/** generateBootstrapToken returns a new random token. */
export function generateBootstrapToken(): string {
  return `${randomText(6)}.${randomText(16)}`;
}

/** bootstrapTokenSecret builds the Secret that backs a token. Throws on a malformed token or group. */
export function bootstrapTokenSecret(token: string, o: BootstrapTokenOptions): KubeObject {
  const m = BOOTSTRAP_TOKEN_FORMAT.exec(token);
  if (!m) throw new Error(`Cannot create bootstrap token: it must look like [a-z0-9]{6}.[a-z0-9]{16}`);
  const [, id = '', secret = ''] = m;
  for (const g of o.groups) if (!g.startsWith('system:bootstrappers:')) throw new Error(`Cannot create bootstrap token: group "${g}" does not start with system:bootstrappers:`);
  const stringData: Record<string, string> = { 'token-id': id, 'token-secret': secret };
  if (o.description) stringData['description'] = o.description;
  if (o.ttlMs > 0) stringData['expiration'] = formatTimestamp(o.now + o.ttlMs);
  for (const u of o.usages) stringData[`usage-bootstrap-${u}`] = 'true';
  if (o.groups.length > 0) stringData['auth-extra-groups'] = o.groups.join(',');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    stringData,
  };
}

/** createBootstrapToken creates the token's Secret through `client` and returns the token. */
export async function createBootstrapToken(client: RestClient, o: BootstrapTokenOptions): Promise<string> {
  const token = o.token ?? generateBootstrapToken();
  await client.create({ version: 'v1', resource: 'secrets', namespace: 'kube-system' }, bootstrapTokenSecret(token, o));
  return token;
}
