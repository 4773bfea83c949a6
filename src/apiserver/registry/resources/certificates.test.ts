import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../api/meta/types.js';
import { createCertificateRequest } from '../../../pki/certificate-request.js';
import { certificateSigningRequestStrategy as strategy, validateCertificateSigningRequest } from './certificates.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function csr(spec: Record<string, unknown> = {}): Promise<KubeObject> {
  const { csrPem } = await createCertificateRequest({ commonName: 'u' });
  return { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'c' }, spec: { request: b64(csrPem), signerName: 'example.com/s', usages: ['client auth'], ...spec } };
}

const fields = (o: KubeObject): string[] => validateCertificateSigningRequest(o).map((e) => `${e.field}:${e.type}`);

describe('CertificateSigningRequest validation', () => {
  it('accepts a well-formed request', async () => {
    assert.deepEqual(fields(await csr({ expirationSeconds: 600 })), []);
  });

  it('refuses a missing or bad request, signer, usages and a short expiration', async () => {
    assert.deepEqual(fields({ metadata: { name: 'c' }, spec: {} }), ['spec.request:FieldValueRequired', 'spec.signerName:FieldValueRequired', 'spec.usages:FieldValueRequired']);
    assert.deepEqual(fields(await csr({ request: b64('nope'), signerName: 'nodomain', usages: ['client auth', 'client auth', 'teleport'], expirationSeconds: 599 })), [
      'spec.request:FieldValueInvalid',
      'spec.signerName:FieldValueInvalid',
      'spec.usages[1]:FieldValueDuplicate',
      'spec.usages[2]:FieldValueNotSupported',
      'spec.expirationSeconds:FieldValueInvalid',
    ]);
  });

  it('checks conditions and the certificate', async () => {
    const base = await csr();
    const withStatus = (status: unknown): KubeObject => ({ ...base, status });
    assert.deepEqual(fields(withStatus({ conditions: [{ type: 'Approved', status: 'True' }, { type: 'Denied', status: 'True' }] })), ['status.conditions:FieldValueInvalid']);
    assert.deepEqual(fields(withStatus({ conditions: [{ type: 'Approved', status: 'False' }] })), ['status.conditions[0].status:FieldValueNotSupported']);
    assert.deepEqual(fields(withStatus({ certificate: b64('-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----') })), ['status.certificate:FieldValueForbidden']);
    assert.deepEqual(fields(withStatus({ conditions: [{ type: 'Approved', status: 'True' }], certificate: b64('junk') })), ['status.certificate:FieldValueInvalid']);
  });
});

describe('CertificateSigningRequest strategy', () => {
  it('stamps the requestor from the authenticated user on create, whatever the body says', async () => {
    const o = await csr({ username: 'forged', groups: ['system:masters'] });
    o['status'] = { certificate: 'x' };
    strategy.prepareForCreate?.(o, { now: new Date(), subresource: '', user: { username: 'alice', uid: 'u1', groups: ['devs', 'system:authenticated'] } });
    const spec = o['spec'] as Record<string, unknown>;
    assert.equal(spec['username'], 'alice');
    assert.equal(spec['uid'], 'u1');
    assert.deepEqual(spec['groups'], ['devs', 'system:authenticated']);
    assert.deepEqual(o['status'], {});
  });

  it('approval writes only Approved/Denied; status keeps them; the main resource keeps spec', async () => {
    const old = await csr({ username: 'alice' });
    old['status'] = { conditions: [{ type: 'Failed', status: 'True' }], certificate: 'old' };
    const approval: KubeObject = { ...structuredClone(old), status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'forged' } };
    strategy.prepareForUpdate?.(approval, old, { now: new Date(), subresource: 'approval' });
    assert.deepEqual(approval['status'], { conditions: [{ type: 'Approved', status: 'True' }, { type: 'Failed', status: 'True' }], certificate: 'old' });

    const stored = { ...structuredClone(old), status: { conditions: [{ type: 'Approved', status: 'True' }] } };
    const status: KubeObject = { ...structuredClone(stored), status: { conditions: [{ type: 'Denied', status: 'True' }], certificate: 'new' } };
    strategy.prepareForUpdate?.(status, stored, { now: new Date(), subresource: 'status' });
    assert.deepEqual(status['status'], { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'new' });

    const main: KubeObject = { ...structuredClone(old), spec: { signerName: 'other.io/x' } };
    strategy.prepareForUpdate?.(main, old, { now: new Date(), subresource: '' });
    assert.deepEqual(main['spec'], old['spec']);
  });
});
