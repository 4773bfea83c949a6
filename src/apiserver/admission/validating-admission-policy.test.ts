import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../api/meta/status-error.js';
import { newAdmissionAttributes } from './admission-attributes.js';
import { MemoryObjectReader } from './memory-object-reader.js';
import { ValidatingAdmissionPolicy } from './validating-admission-policy.js';

const G = 'admissionregistration.k8s.io';

function setup(actions: string[]): ValidatingAdmissionPolicy {
  const reader = new MemoryObjectReader()
    .add('', 'namespaces', { metadata: { name: 'a', labels: { env: 'prod' } } })
    .add('', 'configmaps', { metadata: { name: 'limits', namespace: 'a' }, data: { max: '3' } })
    .add(G, 'validatingadmissionpolicies', {
      metadata: { name: 'max-replicas' },
      spec: {
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] },
        validations: [
          { expression: 'object.spec.replicas <= int(params.data.max)', messageExpression: '"replicas must be at most " + params.data.max' },
          { expression: "object.metadata.name != 'forbidden'" },
        ],
        auditAnnotations: [{ key: 'replicas', valueExpression: "'asked for ' + string(object.spec.replicas)" }],
      },
    })
    .add(G, 'validatingadmissionpolicybindings', {
      metadata: { name: 'max-replicas-prod' },
      spec: {
        policyName: 'max-replicas',
        validationActions: actions,
        paramRef: { name: 'limits', namespace: 'a' },
        matchResources: { namespaceSelector: { matchLabels: { env: 'prod' } } },
      },
    });
  return new ValidatingAdmissionPolicy(reader);
}

function deployment(name: string, replicas: number) {
  return newAdmissionAttributes({ operation: 'CREATE', group: 'apps', resource: 'deployments', kind: 'Deployment', namespace: 'a', object: { metadata: { name }, spec: { replicas } } });
}

describe('ValidatingAdmissionPolicy', () => {
  it('admits what the CEL rules accept', async () => {
    await setup(['Deny']).validate(deployment('web', 3));
  });
  it('denies with 422 and the messageExpression', async () => {
    await assert.rejects(
      setup(['Deny']).validate(deployment('web', 5)),
      (err) =>
        err instanceof StatusError &&
        err.status.code === 422 &&
        err.status.message === `deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-prod' denied request: replicas must be at most 3`,
    );
  });
  it('names the failed expression when there is no message', async () => {
    await assert.rejects(setup(['Deny']).validate(deployment('forbidden', 1)), (err) => err instanceof StatusError && (err.status.message ?? '').endsWith("failed expression: object.metadata.name != 'forbidden'"));
  });
  it('warns instead with Warn', async () => {
    const a = deployment('web', 9);
    await setup(['Warn']).validate(a);
    assert.deepEqual(a.warnings, [`Validation failed for ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-prod': replicas must be at most 3`]);
  });
  it('records failures and auditAnnotations in the audit event with Audit', async () => {
    const a = deployment('web', 9);
    const annotations: Record<string, string> = {};
    await setup(['Audit']).validate({ ...a, addAuditAnnotation: (k: string, v: string) => void (annotations[k] = v) });
    assert.equal(annotations['max-replicas/replicas'], 'asked for 9');
    assert.deepEqual(JSON.parse(annotations['validation.policy.admission.k8s.io/validation_failure'] ?? '[]'), [
      { message: 'replicas must be at most 3', policy: 'max-replicas', binding: 'max-replicas-prod', expressionIndex: 0, validationActions: ['Audit'] },
    ]);
    assert.deepEqual(a.warnings, []);
  });
});
