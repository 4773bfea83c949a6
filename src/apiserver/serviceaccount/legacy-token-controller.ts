/**
 * LegacyTokenController: fills Secrets of type `kubernetes.io/service-account-token` (annotated
 * `kubernetes.io/service-account.name`) with a legacy token, the cluster CA (`ca.crt`) and the namespace, and
 * records the service account's uid in `kubernetes.io/service-account.uid` — what upstream's tokens controller
 * does. It runs inside the API server because only the API server holds the signing key; it follows the secrets
 * watch cache and writes through the generic store like any update. A Secret whose service account does not exist
 * (yet) is left unfilled and retried when the Secret changes.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { Logger } from '../../base/log/logger.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { CacheWatcher } from '../watch/cache-watcher.js';
import type { TokenSigner } from './token-signer.js';

/** SERVICE_ACCOUNT_TOKEN_SECRET_TYPE is the Secret type of legacy service-account tokens. */
export const SERVICE_ACCOUNT_TOKEN_SECRET_TYPE = 'kubernetes.io/service-account-token';
/** Annotations naming the owner of a legacy token Secret. */
export const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SERVICE_ACCOUNT_UID_ANNOTATION = 'kubernetes.io/service-account.uid';

/** LegacyTokenControllerConfig wires the stores, the signer and the CA. */
export interface LegacyTokenControllerConfig {
  readonly secrets: GenericStore;
  readonly serviceAccounts: GenericStore;
  readonly signer: TokenSigner;
  /** The cluster CA certificate (PEM) put into `ca.crt`. */
  readonly caPem: string;
  readonly log: Logger;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** LegacyTokenController implements the token filling loop. */
export class LegacyTokenController {
  readonly #c: LegacyTokenControllerConfig;
  #watcher: CacheWatcher | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(config: LegacyTokenControllerConfig) {
    this.#c = config;
  }

  /** start begins following the secrets watch cache (every existing Secret is seen first). */
  start(): void {
    this.#loop ??= this.#run();
  }

  async #run(): Promise<void> {
    const cache = this.#c.secrets.watchCache;
    if (!cache) return;
    while (!this.#stopped) {
      try {
        this.#watcher = await cache.watch({ prefix: this.#c.secrets.keyPrefix, resourceVersion: '' });
        if (this.#stopped) this.#watcher.close();
        for (let e = await this.#watcher.next(); e; e = await this.#watcher.next()) {
          if (e.type === 'ADDED' || e.type === 'MODIFIED') await this.#reconcile(e.object as KubeObject);
        }
      } catch (err) {
        this.#c.log.warn('Cannot follow secrets for legacy service-account tokens', { err: err instanceof Error ? err.message : String(err) });
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** #needsToken reports whether a Secret is a legacy token Secret without a token (or with a stale owner uid). */
  #needsToken(secret: KubeObject): boolean {
    if (secret['type'] !== SERVICE_ACCOUNT_TOKEN_SECRET_TYPE || secret.metadata?.deletionTimestamp) return false;
    const data = secret['data'] as Record<string, unknown> | undefined;
    return !data?.['token'];
  }

  async #reconcile(secret: KubeObject): Promise<void> {
    if (!this.#needsToken(secret)) return;
    const namespace = secret.metadata?.namespace ?? '';
    const name = secret.metadata?.name ?? '';
    const saName = secret.metadata?.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION];
    if (!saName) return;
    let sa: KubeObject;
    try {
      sa = await this.#c.serviceAccounts.get(namespace, saName);
    } catch {
      return;
    }
    const uid = sa.metadata?.uid ?? '';
    const wantedUid = secret.metadata?.annotations?.[SERVICE_ACCOUNT_UID_ANNOTATION];
    if (wantedUid && wantedUid !== uid) return;
    try {
      await this.#c.secrets.guaranteedUpdate(namespace, name, (current) => {
        if (!this.#needsToken(current)) return current;
        const token = this.#c.signer.issueLegacy({ namespace, name: saName, uid, secretName: name });
        const data = { ...((current['data'] as Record<string, string> | undefined) ?? {}), token: b64(token), 'ca.crt': b64(this.#c.caPem), namespace: b64(namespace) };
        const annotations = { ...(current.metadata?.annotations ?? {}), [SERVICE_ACCOUNT_UID_ANNOTATION]: uid };
        return { ...current, metadata: { ...current.metadata, annotations }, data };
      });
    } catch (err) {
      this.#c.log.warn('Cannot fill legacy service-account token', { namespace, secret: name, err: err instanceof Error ? err.message : String(err) });
    }
  }

  /** stop ends the loop. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.close();
    await this.#loop;
  }
}
