import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCertificateRequest, parseCertificateRequest, type CertificateRequestOptions, type ParsedCertificateRequest } from '../../pki/certificate-request.js';
import type { CsrFacts } from './certificate-signing-request.js';
import { decideApproval, nodeAddressesOf } from './csr-approving-controller.js';

async function request(opts: CertificateRequestOptions): Promise<ParsedCertificateRequest> {
  const parsed = parseCertificateRequest((await createCertificateRequest(opts)).csrPem);
  assert.ok(parsed.ok);
  return parsed.csr;
}

function facts(signerName: string, username: string, groups: string[], usages = signerName === 'kubernetes.io/kubelet-serving' ? ['digital signature', 'server auth'] : ['digital signature', 'client auth']): CsrFacts {
  return { name: 'c', signerName, usages, username, groups, requestBase64: '', approved: false, denied: false, failed: false, issued: false };
}

const SERVING = 'kubernetes.io/kubelet-serving';
const CLIENT = 'kubernetes.io/kube-apiserver-client-kubelet';
const node = { metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'Hostname', address: 'n1.lan' }] } };

describe('decideApproval', () => {
  it('approves a serving request from the node itself for its own name and addresses', async () => {
    const req = await request({ commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1', 'n1.lan'], ipAddresses: ['10.0.0.5'] });
    const self = facts(SERVING, 'system:node:n1', ['system:nodes', 'system:authenticated']);
    assert.equal(decideApproval(self, req, nodeAddressesOf(node)).approve, true);
    // Before the node registers its IPs are unknown: wait for it.
    const plain = await request({ commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1'], ipAddresses: ['10.0.0.5'] });
    const before = decideApproval(self, plain, undefined);
    assert.deepEqual(before.approve ? 'approved' : [before.waitForNode, before.why], [true, 'the node is not registered yet, so its addresses are unknown']);
  });

  it('refuses serving requests for other names, addresses or from other nodes and users', async () => {
    const other = await request({ commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1'], ipAddresses: ['10.9.9.9'] });
    const self = facts(SERVING, 'system:node:n1', ['system:nodes']);
    assert.equal(decideApproval(self, other, nodeAddressesOf(node)).approve, false);
    const evil = await request({ commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['kubernetes.default'] });
    assert.equal(decideApproval(self, evil, nodeAddressesOf(node)).approve, false);
    const mine = await request({ commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1'] });
    assert.equal(decideApproval(facts(SERVING, 'system:node:n2', ['system:nodes']), mine, nodeAddressesOf(node)).approve, false);
    assert.equal(decideApproval(facts(SERVING, 'bob', ['system:authenticated']), mine, nodeAddressesOf(node)).approve, false);
    assert.equal(decideApproval(facts(SERVING, 'system:node:n1', ['system:nodes'], ['server auth', 'client auth']), mine, nodeAddressesOf(node)).approve, false);
  });

  it('approves a serving request from system:masters before the node registers (the admin-token agent)', async () => {
    const req = await request({ commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1'], ipAddresses: ['127.0.0.1'] });
    assert.equal(decideApproval(facts(SERVING, 'admin', ['system:masters']), req, undefined).approve, true);
    // Once the node is known, its addresses bind an admin too.
    assert.equal(decideApproval(facts(SERVING, 'admin', ['system:masters']), req, nodeAddressesOf(node)).approve, false);
  });

  it('approves kubelet client requests from the node, a bootstrap token or an admin, and nobody else', async () => {
    const req = await request({ commonName: 'system:node:n1', organizations: ['system:nodes'] });
    assert.equal(decideApproval(facts(CLIENT, 'system:node:n1', ['system:nodes']), req, undefined).approve, true);
    assert.equal(decideApproval(facts(CLIENT, 'system:bootstrap:abcdef', ['system:bootstrappers']), req, undefined).approve, true);
    assert.equal(decideApproval(facts(CLIENT, 'admin', ['system:masters']), req, undefined).approve, true);
    assert.equal(decideApproval(facts(CLIENT, 'bob', ['system:authenticated']), req, undefined).approve, false);
    const withSan = await request({ commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1'] });
    assert.equal(decideApproval(facts(CLIENT, 'system:node:n1', ['system:nodes']), withSan, undefined).approve, false);
  });

  it('leaves other signers to people', async () => {
    const req = await request({ commonName: 'jane' });
    assert.equal(decideApproval(facts('kubernetes.io/kube-apiserver-client', 'admin', ['system:masters']), req, undefined).approve, false);
  });
});
