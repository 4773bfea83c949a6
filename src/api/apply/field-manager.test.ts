import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../meta/status-error.js';
import { builtinSchemas } from '../schema/schema-registry.js';
import { DEDUCED } from './apply-schema.js';
import { applySchemaOf, fieldManagerOf, formatManagedTime, managedFieldsRecorder } from './field-manager.js';

function refusal(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  assert.fail('expected a StatusError');
}

describe('fieldManagerOf()', () => {
  it('takes the fieldManager parameter, else the User-Agent product', () => {
    assert.deepEqual(fieldManagerOf({ fieldManager: 'kubectl-edit', force: null, userAgent: 'kubectl/v1.32.4 (linux/amd64)' }, 'UpdateOptions', false), { manager: 'kubectl-edit', force: false });
    assert.deepEqual(fieldManagerOf({ fieldManager: null, force: null, userAgent: 'kube-controller-manager/v1.32.0 (linux/amd64)' }, 'CreateOptions', false), {
      manager: 'kube-controller-manager',
      force: false,
    });
    assert.deepEqual(fieldManagerOf({ fieldManager: 'kubectl', force: 'true', userAgent: undefined }, 'PatchOptions', true), { manager: 'kubectl', force: true });
  });

  it('refuses what upstream refuses, with its messages', () => {
    const missing = refusal(() => fieldManagerOf({ fieldManager: null, force: null, userAgent: 'x' }, 'PatchOptions', true));
    assert.equal(missing.status.code, 422);
    assert.equal(missing.status.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const force = refusal(() => fieldManagerOf({ fieldManager: null, force: 'true', userAgent: 'x' }, 'PatchOptions', false));
    assert.equal(force.status.message, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const long = refusal(() => fieldManagerOf({ fieldManager: 'm'.repeat(129), force: null, userAgent: 'x' }, 'CreateOptions', false));
    assert.equal(long.status.details?.causes?.[0]?.field, 'fieldManager');
    refusal(() => fieldManagerOf({ fieldManager: 'bad\u0000name', force: null, userAgent: 'x' }, 'CreateOptions', false));
  });
});

describe('managedFieldsRecorder()', () => {
  it('records a write with the clock time in whole seconds', () => {
    const schema = applySchemaOf(builtinSchemas(), { group: '', version: 'v1', kind: 'ConfigMap' });
    assert.notEqual(schema, DEDUCED);
    assert.equal(applySchemaOf(builtinSchemas(), { group: 'example.com', version: 'v1', kind: 'Widget' }), DEDUCED);
    const record = managedFieldsRecorder({ manager: 'me', apiVersion: 'v1', schema, subresource: '', now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 678) });
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } };
    record(obj, undefined);
    assert.deepEqual(obj.metadata, {
      name: 'c',
      managedFields: [{ manager: 'me', operation: 'Update', apiVersion: 'v1', time: '2026-01-02T03:04:05Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }],
    });
    assert.equal(formatManagedTime(0), '1970-01-01T00:00:00Z');
  });
});
