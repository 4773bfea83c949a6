/**
 * Admission webhooks (admissionregistration.k8s.io/v1): MutatingAdmissionWebhook calls the webhooks of every
 * MutatingWebhookConfiguration one after another and applies their JSONPatch answers; ValidatingAdmissionWebhook
 * calls those of every ValidatingWebhookConfiguration in parallel. Each webhook is filtered by its rules,
 * namespaceSelector and objectSelector, called with an AdmissionReview v1 over HTTPS (clientConfig.url, or a
 * Service resolved to one of its endpoints), bounded by timeoutSeconds (default 10), and its failure handled by
 * failurePolicy (default Fail → 500; Ignore → admitted). CEL matchConditions further narrow what a webhook sees. Denials use upstream's
 * `admission webhook "<name>" denied the request: <message>`; warnings become Warning headers. On a dry run, a
 * webhook whose sideEffects is not None or NoneOnDryRun refuses the request, as upstream.
 */
import { randomUUID } from 'node:crypto';
import { compileCel } from '../../api/cel/cel-program.js';
import { newStatus, StatusError } from '../../api/meta/status-error.js';
import type { KubeObject, Status, StatusReason } from '../../api/meta/types.js';
import { applyJsonPatch } from '../../api/patch/json-patch.js';
import type { JsonValue } from '../../api/patch/json-value.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import { anyRuleMatches, isAdmissionConfiguration, namespaceSelectorMatches, objectSelectorMatches } from './admission-match.js';
import type { ObjectReader } from './object-reader.js';
import { asRecord, asRecords, type JsonRecord } from './pod-containers.js';
import { readServiceReference, resolveServiceReference } from '../webhook/service-reference.js';
import { postReview, type WebhookTarget } from '../webhook/webhook-client.js';

const GROUP = 'admissionregistration.k8s.io';
const DEFAULT_TIMEOUT_SECONDS = 10;

/** WebhookCaller posts an AdmissionReview (replaceable in tests). */
export type WebhookCaller = (target: WebhookTarget, review: unknown, timeoutMs: number) => Promise<unknown>;

function internalError(message: string): StatusError {
  return new StatusError(newStatus(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }));
}

/** deniedBy is upstream's webhook denial Status: at least 400, Failure, message prefixed with the webhook's name. */
function deniedBy(webhook: string, result: JsonRecord): StatusError {
  const code = typeof result['code'] === 'number' && result['code'] >= 400 ? result['code'] : 400;
  const prefix = `admission webhook "${webhook}" denied the request`;
  const message = typeof result['message'] === 'string' && result['message'] !== '' ? result['message'] : '';
  const reason = typeof result['reason'] === 'string' ? result['reason'] : '';
  const text = message !== '' ? `${prefix}: ${message}` : reason !== '' ? `${prefix}: ${reason}` : `${prefix} without explanation`;
  const status: Status = { ...newStatus(code, (reason || 'BadRequest') as StatusReason, text), ...(result['details'] ? { details: result['details'] as Status['details'] } : {}) };
  if (reason === '') delete (status as { reason?: string }).reason;
  return new StatusError(status);
}

/** AdmissionWebhookOptions tune the webhook plugins. */
export interface AdmissionWebhookOptions {
  /** @default postReview */
  readonly call?: WebhookCaller;
}

/** The part both webhook plugins share: finding, filtering and calling webhooks. */
abstract class WebhookDispatcher implements AdmissionPlugin {
  abstract readonly name: string;
  protected readonly reader: ObjectReader;
  readonly #call: WebhookCaller;

  constructor(reader: ObjectReader, options: AdmissionWebhookOptions) {
    this.reader = reader;
    this.#call = options.call ?? postReview;
  }

  handles(a: AdmissionAttributes): boolean {
    return !isAdmissionConfiguration(a);
  }

  /** The webhooks of every configuration of this plugin's kind that want this request. */
  protected async webhooksFor(resource: string, a: AdmissionAttributes): Promise<JsonRecord[]> {
    const configs = await this.reader.list(GROUP, resource, '');
    const out: JsonRecord[] = [];
    const sorted = [...configs].sort((x, y) => (x.metadata?.name ?? '').localeCompare(y.metadata?.name ?? ''));
    for (const config of sorted) {
      for (const hook of asRecords(config['webhooks'])) {
        if (!anyRuleMatches(hook['rules'], a)) continue;
        if (!objectSelectorMatches(hook['objectSelector'], a)) continue;
        if (!(await namespaceSelectorMatches(hook['namespaceSelector'], a, this.reader))) continue;
        if (!this.#conditionsMatch(hook, a)) continue;
        out.push(hook);
      }
    }
    return out;
  }

  /**
   * #conditionsMatch evaluates the webhook's CEL matchConditions (object, oldObject, request): all must be true.
   * An expression that fails follows failurePolicy: Fail refuses the request, Ignore skips the webhook.
   */
  #conditionsMatch(hook: JsonRecord, a: AdmissionAttributes): boolean {
    const conditions = asRecords(hook['matchConditions']);
    if (conditions.length === 0) return true;
    const activation = {
      object: a.object ?? null,
      oldObject: a.oldObject ?? null,
      request: { operation: a.operation, name: a.name, namespace: a.namespace, resource: { group: a.group, version: a.version, resource: a.resource }, subResource: a.subresource, userInfo: { username: a.user.username, groups: [...a.user.groups] }, dryRun: a.dryRun },
    };
    for (const condition of conditions) {
      const compiled = compileCel(String(condition['expression'] ?? ''), { variables: ['object', 'oldObject', 'request', 'authorizer'] });
      const result = compiled.ok ? compiled.program.evaluate(activation) : compiled;
      if (!result.ok) {
        if (hook['failurePolicy'] === 'Ignore') return false;
        throw internalError(`failed calling webhook "${String(hook['name'] ?? '')}": match condition "${String(condition['name'] ?? '')}" failed: ${result.error}`);
      }
      if (result.value !== true) return false;
    }
    return true;
  }

  /** call sends one review and returns the webhook's `response`, or undefined when a failure is ignored. */
  protected async call(hook: JsonRecord, a: AdmissionAttributes, object: KubeObject | undefined): Promise<JsonRecord | undefined> {
    const name = String(hook['name'] ?? '');
    const ignore = hook['failurePolicy'] === 'Ignore';
    if (a.dryRun && hook['sideEffects'] !== 'None' && hook['sideEffects'] !== 'NoneOnDryRun') {
      throw new StatusError(newStatus(400, 'BadRequest', `admission webhook "${name}" does not support dry run`));
    }
    const uid = randomUUID();
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid,
        kind: { group: a.group, version: a.version, kind: a.kind },
        resource: { group: a.group, version: a.version, resource: a.resource },
        ...(a.subresource !== '' ? { subResource: a.subresource, requestSubResource: a.subresource } : {}),
        requestKind: { group: a.group, version: a.version, kind: a.kind },
        requestResource: { group: a.group, version: a.version, resource: a.resource },
        ...(a.name !== '' ? { name: a.name } : {}),
        ...(a.namespace !== '' ? { namespace: a.namespace } : {}),
        operation: a.operation,
        userInfo: { username: a.user.username, ...(a.user.uid ? { uid: a.user.uid } : {}), groups: [...a.user.groups], ...(a.user.extra ? { extra: a.user.extra } : {}) },
        object: object ?? null,
        oldObject: a.oldObject ?? null,
        dryRun: a.dryRun,
        options: a.options ?? null,
      },
    };
    const timeoutSeconds = typeof hook['timeoutSeconds'] === 'number' ? hook['timeoutSeconds'] : DEFAULT_TIMEOUT_SECONDS;
    let answer: unknown;
    try {
      const target = await this.#target(asRecord(hook['clientConfig']));
      answer = await this.#call(target, review, timeoutSeconds * 1000);
    } catch (err) {
      if (ignore) return undefined;
      throw internalError(`failed calling webhook "${name}": failed to call webhook: ${(err as Error).message}`);
    }
    const response = asRecord(asRecord(answer)['response']);
    if (response['uid'] !== uid) {
      if (ignore) return undefined;
      throw internalError(`failed calling webhook "${name}": expected response.uid="${uid}", got "${String(response['uid'] ?? '')}"`);
    }
    for (const w of Array.isArray(response['warnings']) ? response['warnings'] : []) if (typeof w === 'string') a.warn(w);
    if (response['allowed'] !== true) throw deniedBy(name, asRecord(response['status']));
    return response;
  }

  async #target(clientConfig: JsonRecord): Promise<WebhookTarget> {
    const caBundle = typeof clientConfig['caBundle'] === 'string' && clientConfig['caBundle'] !== '' ? Buffer.from(clientConfig['caBundle'], 'base64').toString('utf8') : undefined;
    if (typeof clientConfig['url'] === 'string') return { url: clientConfig['url'], caPem: caBundle };
    const ref = readServiceReference(clientConfig);
    if (!ref) throw new Error('the webhook names neither a url nor a service');
    const resolved = await resolveServiceReference(this.reader, ref);
    return { url: resolved.url, caPem: caBundle, serverName: resolved.serverName };
  }
}

/** MutatingAdmissionWebhook is upstream's MutatingAdmissionWebhook plugin. */
export class MutatingAdmissionWebhook extends WebhookDispatcher {
  readonly name = 'MutatingAdmissionWebhook';

  constructor(reader: ObjectReader, options: AdmissionWebhookOptions = {}) {
    super(reader, options);
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    for (const hook of await this.webhooksFor('mutatingwebhookconfigurations', a)) {
      const response = await this.call(hook, a, a.object);
      const patch = response?.['patch'];
      if (typeof patch !== 'string' || patch === '' || !a.object) continue;
      const name = String(hook['name'] ?? '');
      if (response?.['patchType'] !== 'JSONPatch') throw internalError(`failed calling webhook "${name}": unsupported patch type "${String(response?.['patchType'] ?? '')}"`);
      let patched: JsonValue;
      try {
        patched = applyJsonPatch(a.object as unknown as JsonValue, JSON.parse(Buffer.from(patch, 'base64').toString('utf8')));
      } catch (err) {
        throw internalError(`failed calling webhook "${name}": the patch could not be applied: ${(err as Error).message}`);
      }
      if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) throw internalError(`failed calling webhook "${name}": the patch did not yield an object`);
      // The store holds `a.object`: change it in place.
      const target = a.object as Record<string, unknown>;
      for (const key of Object.keys(target)) delete target[key];
      Object.assign(target, patched);
    }
  }
}

/** ValidatingAdmissionWebhook is upstream's ValidatingAdmissionWebhook plugin. */
export class ValidatingAdmissionWebhook extends WebhookDispatcher {
  readonly name = 'ValidatingAdmissionWebhook';

  constructor(reader: ObjectReader, options: AdmissionWebhookOptions = {}) {
    super(reader, options);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    const hooks = await this.webhooksFor('validatingwebhookconfigurations', a);
    const results = await Promise.allSettled(hooks.map((hook) => this.call(hook, a, a.object)));
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused) throw refused.reason;
  }
}
