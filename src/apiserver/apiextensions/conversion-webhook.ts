/**
 * ConversionWebhook: a CRD's `spec.conversion.webhook` client. It POSTs an apiextensions.k8s.io/v1
 * ConversionReview naming the desired apiVersion and the objects to convert, and returns the converted objects in
 * order. Upstream's rules apply: the response must carry the request's uid, `result.status: Success`, and exactly
 * one converted object per request object, each of the desired apiVersion. A failure is a 500
 * (`conversion webhook for <gvk> failed: <why>`), as upstream answers.
 *
 * The webhook is reached by `clientConfig.url`, or by `clientConfig.service`, resolved to a ready endpoint of the
 * Service (see webhook/service-reference.ts) when the API server gives the client a resolver.
 */
import { randomUUID } from 'node:crypto';
import { internalError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { ResolvedService, ServiceReference } from '../webhook/service-reference.js';
import { readServiceReference } from '../webhook/service-reference.js';
import { postReview, type WebhookTarget } from '../webhook/webhook-client.js';
import { isRecord } from './structural-schema.js';

/** The time a conversion webhook has to answer (upstream's default is 30 s; conversion sits on every read). */
const DEFAULT_TIMEOUT_MS = 10_000;

/** ConversionWebhookConfig is what the client needs from `spec.conversion.webhook`. */
export interface ConversionWebhookConfig {
  /** The webhook's https URL, or undefined when the CRD names a service instead. */
  readonly url: string | undefined;
  /** The webhook's Service, when it names one instead of a URL. */
  readonly service?: ServiceReference;
  /** Resolves a Service reference to an endpoint; without it, a service reference fails every conversion. */
  readonly resolveService?: (ref: ServiceReference) => Promise<ResolvedService>;
  /** PEM CA bundle (decoded from clientConfig.caBundle) that signs the webhook's certificate; the system's CAs otherwise. */
  readonly caPem?: string;
  /** The kind being converted, for messages (e.g. "example.com/v1, Kind=Widget"). */
  readonly what: string;
  /** @default 10 s */
  readonly timeoutMs?: number;
}

/** readConversionWebhook reads a CRD's webhook conversion settings, or undefined when its strategy is not Webhook. */
export function readConversionWebhook(crd: KubeObject, what: string): ConversionWebhookConfig | undefined {
  const spec = isRecord(crd['spec']) ? crd['spec'] : {};
  const conversion = isRecord(spec['conversion']) ? spec['conversion'] : {};
  if (conversion['strategy'] !== 'Webhook') return undefined;
  const webhook = isRecord(conversion['webhook']) ? conversion['webhook'] : {};
  const client = isRecord(webhook['clientConfig']) ? webhook['clientConfig'] : {};
  const ca = typeof client['caBundle'] === 'string' && client['caBundle'] !== '' ? Buffer.from(client['caBundle'], 'base64').toString('utf8') : undefined;
  const service = readServiceReference(client);
  return { url: typeof client['url'] === 'string' ? client['url'] : undefined, ...(service ? { service } : {}), caPem: ca, what };
}

/** ConversionWebhook converts objects through a webhook; see the file comment. */
export class ConversionWebhook {
  readonly #config: ConversionWebhookConfig;

  constructor(config: ConversionWebhookConfig) {
    this.#config = config;
  }

  /** #target is where the webhook is reached: its URL, or a ready endpoint of its Service. */
  async #target(): Promise<WebhookTarget> {
    const caPem = this.#config.caPem;
    if (this.#config.url !== undefined) {
      if (!URL.canParse(this.#config.url)) throw new Error(`invalid url ${JSON.stringify(this.#config.url)}`);
      return { url: this.#config.url, ...(caPem ? { caPem } : {}) };
    }
    if (!this.#config.service) throw new Error('the webhook names neither a url nor a service');
    if (!this.#config.resolveService) throw new Error('service references cannot be resolved by this server');
    const resolved = await this.#config.resolveService(this.#config.service);
    return { url: resolved.url, serverName: resolved.serverName, ...(caPem ? { caPem } : {}) };
  }

  /** convert returns `objects` converted to `desiredAPIVersion` (objects already there are not sent). */
  async convert(objects: readonly KubeObject[], desiredAPIVersion: string): Promise<KubeObject[]> {
    const pending = objects.map((o, i) => ({ o, i })).filter(({ o }) => o.apiVersion !== desiredAPIVersion);
    if (pending.length === 0) return [...objects];
    const fail = (why: string) => internalError(`conversion webhook for ${this.#config.what} failed: ${why}`);
    let target: WebhookTarget;
    try {
      target = await this.#target();
    } catch (err) {
      throw fail(err instanceof Error ? err.message : String(err));
    }
    const uid = randomUUID();
    const review = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'ConversionReview',
      request: { uid, desiredAPIVersion, objects: pending.map(({ o }) => o) },
    };
    let parsed: unknown;
    try {
      parsed = await postReview(target, review, this.#config.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    } catch (err) {
      throw fail(err instanceof Error ? err.message : String(err));
    }
    const response = isRecord(parsed) && isRecord(parsed['response']) ? parsed['response'] : undefined;
    if (response === undefined) throw fail('the response has no response field');
    if (response['uid'] !== uid) throw fail(`expected response uid ${JSON.stringify(uid)}, got ${JSON.stringify(response['uid'])}`);
    const result = isRecord(response['result']) ? response['result'] : {};
    if (result['status'] !== 'Success') throw fail(typeof result['message'] === 'string' ? result['message'] : 'the webhook did not report Success');
    const converted = Array.isArray(response['convertedObjects']) ? response['convertedObjects'] : [];
    if (converted.length !== pending.length) throw fail(`expected ${pending.length} converted objects, got ${converted.length}`);
    const out = [...objects];
    pending.forEach(({ i }, k) => {
      const c: unknown = converted[k];
      if (!isRecord(c) || c['apiVersion'] !== desiredAPIVersion) throw fail(`converted object ${k} is not of apiVersion ${desiredAPIVersion}`);
      out[i] = c as KubeObject;
    });
    return out;
  }
}
