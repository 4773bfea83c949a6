/**
 * certificates.k8s.io/v1 CertificateSigningRequests through real kubectl: the requestor is stamped from the
 * authenticated user, `kubectl certificate approve` leads to a certificate signed by the cluster CA (honouring
 * expirationSeconds), `kubectl certificate deny` leaves none, bad requests are refused with a clear 422 (and a
 * system:masters client certificate with 403, CertificateSubjectRestriction), approving needs `approve` on the
 * signer (CertificateApproval), a client certificate a node asks for itself is auto-approved, and the issued
 * client certificate authenticates.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isNotFound } from '../../src/client/api-error.js';
import { RestClient } from '../../src/client/rest-client.js';
import { createCertificateRequest } from '../../src/pki/certificate-request.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

interface CsrJson {
  spec: { username: string; groups?: string[] };
  status?: { conditions?: { type: string; reason?: string }[]; certificate?: string };
}

function csrYaml(name: string, requestPem: string, signerName: string, usages: readonly string[], extra = ''): string {
  return [
    'apiVersion: certificates.k8s.io/v1',
    'kind: CertificateSigningRequest',
    `metadata: {name: ${name}}`,
    'spec:',
    `  request: ${Buffer.from(requestPem).toString('base64')}`,
    `  signerName: ${signerName}`,
    `  usages: [${usages.map((u) => `"${u}"`).join(', ')}]`,
    '  username: someone-else',
    extra,
  ].join('\n');
}

void describe('CertificateSigningRequests', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start();
  });
  after(async () => {
    await c?.stop();
  });
  const get = async (name: string): Promise<CsrJson> => JSON.parse(await c.kubectlOk(['get', 'csr', name, '-o', 'json'])) as CsrJson;

  void it('stamps the requestor, signs after kubectl certificate approve, and not after deny', async () => {
    const { csrPem } = await createCertificateRequest({ commonName: 'jane', organizations: ['devs'] });
    await c.kubectlOk(['apply', '-f', '-'], { input: csrYaml('jane', csrPem, 'kubernetes.io/kube-apiserver-client', ['digital signature', 'client auth'], '  expirationSeconds: 3600') });
    const pending = await get('jane');
    assert.equal(pending.spec.username, 'system:admin');
    assert.ok(pending.spec.groups?.includes('system:masters'));
    assert.match(await c.kubectlOk(['get', 'csr', 'jane']), /jane\s+\S+\s+kubernetes\.io\/kube-apiserver-client\s+system:admin\s+60m\s+Pending/);
    assert.match(await c.kubectlOk(['certificate', 'approve', 'jane']), /approved/);
    const signed = await eventually(async () => {
      const s = await get('jane');
      return s.status?.certificate ? s : undefined;
    });
    const cert = new X509Certificate(Buffer.from(signed.status?.certificate ?? '', 'base64').toString('utf8'));
    assert.match(cert.subject, /CN=jane/);
    assert.ok(cert.verify(new X509Certificate(c.credentials().ca).publicKey));
    const lifetime = new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime();
    assert.ok(lifetime <= 3600_000 + 120_000 && lifetime >= 3600_000, `lifetime ${lifetime}`);
    assert.match(await c.kubectlOk(['get', 'csr', 'jane']), /Approved,Issued/);

    const { csrPem: other } = await createCertificateRequest({ commonName: 'mallory' });
    await c.kubectlOk(['apply', '-f', '-'], { input: csrYaml('mallory', other, 'kubernetes.io/kube-apiserver-client', ['client auth']) });
    await c.kubectlOk(['certificate', 'deny', 'mallory']);
    assert.match(await c.kubectlOk(['get', 'csr', 'mallory']), /\sDenied\n/);
    // Approving a denied request is refused by validation (the two are mutually exclusive).
    const both = await c.kubectl(['certificate', 'approve', 'mallory', '--force']);
    assert.notEqual(both.code, 0);
    assert.equal((await get('mallory')).status?.certificate, undefined);
  });

  void it('refuses malformed requests with a clear error', async () => {
    const bad = csrYaml('bad', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', 'not a signer', ['flying']);
    const r = await c.kubectl(['apply', '-f', '-'], { input: bad });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.request: Invalid value/);
    assert.match(r.stderr, /spec\.signerName: Invalid value: "not a signer"/);
    assert.match(r.stderr, /spec\.usages\[0\]: Unsupported value: "flying"/);
    const { csrPem } = await createCertificateRequest({ commonName: 'x' });
    const short = await c.kubectl(['apply', '-f', '-'], { input: csrYaml('short', csrPem, 'example.com/signer', ['client auth'], '  expirationSeconds: 60') });
    assert.match(short.stderr, /spec\.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds/);
    const { csrPem: root } = await createCertificateRequest({ commonName: 'root', organizations: ['system:masters'] });
    const masters = await c.kubectl(['apply', '-f', '-'], { input: csrYaml('root', root, 'kubernetes.io/kube-apiserver-client', ['client auth']) });
    assert.match(masters.stderr, /use of kubernetes\.io\/kube-apiserver-client signer with system:masters group is not allowed/);
  });

  void it('auto-approves a kubelet client certificate for a node and the issued certificate authenticates', async () => {
    const { csrPem, keyPem } = await createCertificateRequest({ commonName: 'system:node:n1', organizations: ['system:nodes'] });
    await c.kubectlOk(['apply', '-f', '-'], { input: csrYaml('node-client', csrPem, 'kubernetes.io/kube-apiserver-client-kubelet', ['digital signature', 'client auth']) });
    const signed = await eventually(async () => {
      const s = await get('node-client');
      return s.status?.certificate ? s : undefined;
    });
    assert.deepEqual(signed.status?.conditions?.map((x) => [x.type, x.reason]), [['Approved', 'AutoApproved']]);
    // As system:node:n1 the node may read its own (not yet registered) Node: 404, not 401 or 403.
    const certPem = Buffer.from(signed.status?.certificate ?? '', 'base64').toString('utf8');
    const asNode = new RestClient({ server: c.url, caPem: c.credentials().ca, clientCertPem: certPem, clientKeyPem: keyPem });
    try {
      await assert.rejects(asNode.get({ version: 'v1', resource: 'nodes', name: 'n1' }), (err) => isNotFound(err));
    } finally {
      asNode.close();
    }
  });

  void it('needs approve on the signer to approve (CertificateApproval)', async () => {
    // An "approver" user with a client certificate from the cluster CA, allowed to write csr approvals by RBAC.
    const { csrPem, keyPem } = await createCertificateRequest({ commonName: 'approver' });
    await c.kubectlOk(['apply', '-f', '-'], { input: csrYaml('approver', csrPem, 'kubernetes.io/kube-apiserver-client', ['client auth']) });
    await c.kubectlOk(['certificate', 'approve', 'approver']);
    const issued = await eventually(async () => (await get('approver')).status?.certificate);
    await c.kubectlOk(['create', 'clusterrole', 'csr-approver', '--verb=get,list,update', '--resource=certificatesigningrequests,certificatesigningrequests/approval']);
    await c.kubectlOk(['create', 'clusterrolebinding', 'csr-approver', '--clusterrole=csr-approver', '--user=approver']);
    const { csrPem: other } = await createCertificateRequest({ commonName: 'w' });
    await c.kubectlOk(['apply', '-f', '-'], { input: csrYaml('widget', other, 'example.com/widgets', ['client auth']) });
    const asApprover = new RestClient({ server: c.url, caPem: c.credentials().ca, clientCertPem: Buffer.from(issued, 'base64').toString('utf8'), clientKeyPem: keyPem });
    const approve = async (): Promise<unknown> => {
      const csr = await asApprover.get({ group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests', name: 'widget' });
      csr['status'] = { conditions: [{ type: 'Approved', status: 'True', reason: 'ByHand', message: 'ok' }] };
      return asApprover.update({ group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests', name: 'widget', subresource: 'approval' }, csr);
    };
    try {
      await assert.rejects(approve(), /user not permitted to approve requests with signerName "example\.com\/widgets"/);
      // (signers are not a served resource, so kubectl create clusterrole cannot name them.)
      const role = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: widget-approver}\nrules:\n- {apiGroups: [certificates.k8s.io], resources: [signers], resourceNames: ["example.com/*"], verbs: [approve]}\n';
      await c.kubectlOk(['apply', '-f', '-'], { input: role });
      await c.kubectlOk(['create', 'clusterrolebinding', 'widget-approver', '--clusterrole=widget-approver', '--user=approver']);
      await eventually(async () => approve());
    } finally {
      asApprover.close();
    }
    assert.match(await c.kubectlOk(['get', 'csr', 'widget']), /\sApproved\n/);
  });

  void it('fails a request whose subject does not fit the signer', async () => {
    const { csrPem } = await createCertificateRequest({ commonName: 'not-a-node', dnsNames: ['x.example'] });
    await c.kubectlOk(['apply', '-f', '-'], { input: csrYaml('odd', csrPem, 'kubernetes.io/kubelet-serving', ['digital signature', 'server auth']) });
    await c.kubectlOk(['certificate', 'approve', 'odd']);
    const failed = await eventually(async () => {
      const s = await get('odd');
      return s.status?.conditions?.some((x) => x.type === 'Failed') ? s : undefined;
    });
    assert.equal(failed.status?.certificate, undefined);
    assert.match(await c.kubectlOk(['get', 'csr', 'odd']), /Approved,Failed/);
  });
});
