/**
 * TokenRequestHandler serves `serviceaccounts/<name>/token` (TokenRequest, what `kubectl create token` posts):
 * a signed token for an existing service account, optionally bound to a pod, with an audience and an expiry.
 * Other resource requests go to the next handler.
 */
import { formatTimestamp } from '../../api/meta/timestamp.js';
import { badRequest, invalid, notFound } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { SchemaLookup } from '../../api/schema/types.js';
import { toCauses, fieldErrors, type FieldError } from '../../api/validation/field-error.js';
import type { Clock } from '../../base/clock/clock.js';
import { decodeBody } from '../negotiation/decode-body.js';
import { writeJson } from '../negotiation/write.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { RequestScope, ResourceHandler } from '../request/request-scope.js';
import type { TokenSigner } from './token-signer.js';

/** Upstream's bounds on spec.expirationSeconds. */
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
const DEFAULT_EXPIRATION_SECONDS = 3600;

/** TokenRequestHandlerConfig wires the signer and the stores it checks. */
export interface TokenRequestHandlerConfig {
  readonly next: ResourceHandler;
  readonly signer: TokenSigner;
  readonly clock: Clock;
  readonly schemaLookup?: SchemaLookup;
  readonly store: (group: string, resource: string) => GenericStore | undefined;
}

interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

/** TokenRequestHandler implements ResourceHandler for serviceaccounts/token. */
export class TokenRequestHandler implements ResourceHandler {
  readonly #c: TokenRequestHandlerConfig;
  constructor(config: TokenRequestHandlerConfig) {
    this.#c = config;
  }

  async handle(scope: RequestScope): Promise<void> {
    const { info } = scope;
    if (!(info.apiGroup === '' && info.resource === 'serviceaccounts' && info.subresource === 'token' && info.verb === 'create')) {
      return this.#c.next.handle(scope);
    }
    const sas = this.#c.store('', 'serviceaccounts');
    if (!sas) throw notFound({ group: '', resource: 'serviceaccounts' }, info.name);
    const sa = await sas.get(info.namespace, info.name);
    const body = decodeBody(scope.req.headers['content-type'], scope.body, { schemaLookup: this.#c.schemaLookup }) as KubeObject;
    if (body === null || typeof body !== 'object') throw badRequest('the body must be a TokenRequest object');
    const spec: TokenRequestSpec = (body.spec as TokenRequestSpec | undefined) ?? {};
    const errs: FieldError[] = [];
    const exp = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    if (!Number.isInteger(exp) || exp < MIN_EXPIRATION_SECONDS) errs.push(fieldErrors.invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes'));
    else if (exp > MAX_EXPIRATION_SECONDS) errs.push(fieldErrors.tooLong('spec.expirationSeconds', exp, MAX_EXPIRATION_SECONDS));
    let boundPod: { name: string; uid: string } | undefined;
    let boundSecret: { name: string; uid: string } | undefined;
    const ref = spec.boundObjectRef;
    if (ref) {
      if (ref.kind !== 'Pod' && ref.kind !== 'Secret') errs.push(fieldErrors.notSupported('spec.boundObjectRef.kind', ref.kind, ['Pod', 'Secret']));
      else {
        const store = this.#c.store('', ref.kind === 'Pod' ? 'pods' : 'secrets');
        const obj = await store?.get(info.namespace, ref.name ?? '');
        if (ref.uid && obj?.metadata?.uid !== ref.uid) {
          errs.push(fieldErrors.invalid('spec.boundObjectRef.uid', ref.uid, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`));
        }
        if (ref.kind === 'Pod' && obj) boundPod = { name: obj.metadata?.name ?? '', uid: obj.metadata?.uid ?? '' };
        if (ref.kind === 'Secret' && obj) boundSecret = { name: obj.metadata?.name ?? '', uid: obj.metadata?.uid ?? '' };
      }
    }
    if (errs.length > 0) throw invalid('TokenRequest', 'authentication.k8s.io', info.name, toCauses(errs));
    const nowSeconds = Math.floor(this.#c.clock.now() / 1000);
    const { token, claims } = this.#c.signer.issue({
      namespace: info.namespace,
      name: info.name,
      uid: sa.metadata?.uid ?? '',
      audiences: spec.audiences ?? [],
      expirationSeconds: exp,
      boundPod,
      boundSecret,
      nowSeconds,
    });
    writeJson(scope.res, 201, {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: info.name, namespace: info.namespace, creationTimestamp: null },
      spec: { audiences: claims.aud, expirationSeconds: exp, boundObjectRef: ref ?? null },
      status: { token, expirationTimestamp: formatTimestamp(claims.exp * 1000) },
    });
  }
}
