import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../api/meta/status-error.js';
import { newAdmissionAttributes } from './admission-attributes.js';
import { MutatingAdmissionWebhook, ValidatingAdmissionWebhook, type WebhookCaller } from './admission-webhook.js';
import { MemoryObjectReader } from './memory-object-reader.js';

const G = 'admissionregistration.k8s.io';
const RULES = [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }];

function reader(kind: string, hook: Record<string, unknown>): MemoryObjectReader {
  return new MemoryObjectReader().add(G, kind, { metadata: { name: 'cfg' }, webhooks: [{ name: 'hook.example.com', clientConfig: { url: 'https://127.0.0.1:1/x' }, rules: RULES, sideEffects: 'None', ...hook }] });
}

function requestUid(review: unknown): string {
  return (review as { request: { uid: string } }).request.uid;
}

function cm() {
  return newAdmissionAttributes({ operation: 'CREATE', resource: 'configmaps', kind: 'ConfigMap', namespace: 'a', object: { metadata: { name: 'c' }, data: { a: '1' } } });
}

describe('admission webhooks', () => {
  it('applies a mutating webhook JSONPatch and forwards warnings', async () => {
    const patch = Buffer.from(JSON.stringify([{ op: 'add', path: '/data/b', value: '2' }])).toString('base64');
    const call: WebhookCaller = async (_t, review) => ({ response: { uid: requestUid(review), allowed: true, patchType: 'JSONPatch', patch, warnings: ['careful'] } });
    const a = cm();
    await new MutatingAdmissionWebhook(reader('mutatingwebhookconfigurations', {}), { call }).admit(a);
    assert.deepEqual(a.object?.['data'], { a: '1', b: '2' });
    assert.deepEqual(a.warnings, ['careful']);
  });
  it('turns a denial into upstream message', async () => {
    const call: WebhookCaller = async (_t, review) => ({ response: { uid: requestUid(review), allowed: false, status: { code: 403, message: 'no thanks' } } });
    await assert.rejects(
      new ValidatingAdmissionWebhook(reader('validatingwebhookconfigurations', {}), { call }).validate(cm()),
      (err) => err instanceof StatusError && err.status.code === 403 && err.status.message === 'admission webhook "hook.example.com" denied the request: no thanks',
    );
  });
  it('follows failurePolicy when the webhook cannot be reached', async () => {
    const call: WebhookCaller = async () => {
      throw new Error('connection refused');
    };
    await assert.rejects(new ValidatingAdmissionWebhook(reader('validatingwebhookconfigurations', {}), { call }).validate(cm()), (err) => err instanceof StatusError && err.status.code === 500);
    await new ValidatingAdmissionWebhook(reader('validatingwebhookconfigurations', { failurePolicy: 'Ignore' }), { call }).validate(cm());
  });
  it('skips requests the rules do not cover, and refuses dry runs of webhooks with side effects', async () => {
    const call: WebhookCaller = async () => assert.fail('not called');
    const secret = newAdmissionAttributes({ operation: 'CREATE', resource: 'secrets', namespace: 'a', object: { metadata: { name: 's' } } });
    await new ValidatingAdmissionWebhook(reader('validatingwebhookconfigurations', {}), { call }).validate(secret);
    const dry = newAdmissionAttributes({ operation: 'CREATE', resource: 'configmaps', namespace: 'a', dryRun: true, object: { metadata: { name: 'c' } } });
    await assert.rejects(new ValidatingAdmissionWebhook(reader('validatingwebhookconfigurations', { sideEffects: 'Some' }), { call }).validate(dry), /does not support dry run/);
  });
  it('reaches a Service through its endpoints, with the Service name for TLS', async () => {
    const r = reader('validatingwebhookconfigurations', { clientConfig: { service: { namespace: 'hooks', name: 'guard', path: '/check' }, caBundle: Buffer.from('PEM').toString('base64') } })
      .add('', 'services', { metadata: { name: 'guard', namespace: 'hooks' }, spec: { ports: [{ name: 'https', port: 443, targetPort: 8443 }] } })
      .add('', 'endpoints', { metadata: { name: 'guard', namespace: 'hooks' }, subsets: [{ addresses: [{ ip: '10.42.0.7' }], ports: [{ name: 'https', port: 8443 }] }] });
    const targets: unknown[] = [];
    const call: WebhookCaller = async (target, review) => {
      targets.push(target);
      return { response: { uid: requestUid(review), allowed: true } };
    };
    await new ValidatingAdmissionWebhook(r, { call }).validate(cm());
    assert.deepEqual(targets, [{ url: 'https://10.42.0.7:8443/check', caPem: 'PEM', serverName: 'guard.hooks.svc' }]);
  });
  it('skips a webhook whose matchConditions are false', async () => {
    const call: WebhookCaller = async () => assert.fail('not called');
    const r = reader('validatingwebhookconfigurations', { matchConditions: [{ name: 'only-b', expression: "has(object.data.b)" }] });
    await new ValidatingAdmissionWebhook(r, { call }).validate(cm());
  });
});
