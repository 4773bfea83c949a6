/**
 * The admission chain against a real server with real kubectl: NamespaceLifecycle, ServiceAccount, LimitRanger,
 * ResourceQuota, PodSecurity, a ValidatingAdmissionPolicy with CEL, and a validating plus a mutating webhook served
 * over HTTPS from this test process (certificate from the test's own CA).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CertificateAuthority } from '../../src/pki/certificate-authority.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const PRIVILEGED_POD = `apiVersion: v1
kind: Pod
metadata: {name: priv}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: busybox
    securityContext: {privileged: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`;

const REPLICA_POLICY = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-limit}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  validations:
  - expression: object.spec.replicas <= 5
    message: at most 5 replicas
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replica-limit-binding}
spec:
  policyName: replica-limit
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels: {policy: "on"}
`;

interface Review {
  request: { uid: string; object: { metadata?: { labels?: Record<string, string> } } };
}

/** serveWebhooks answers /validate (deny configmaps labelled deny=yes) and /mutate (add label mutated=yes). */
function serveWebhooks(certPem: string, keyPem: string): Promise<Server> {
  const server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Review;
      const labels = review.request.object.metadata?.labels ?? {};
      let response: Record<string, unknown> = { uid: review.request.uid, allowed: true };
      if (req.url === '/validate' && labels['deny'] === 'yes') {
        response = { uid: review.request.uid, allowed: false, status: { code: 403, message: 'configmaps labelled deny=yes are not welcome' } };
      }
      if (req.url === '/mutate') {
        const ops = labels && Object.keys(labels).length > 0 ? [] : [{ op: 'add', path: '/metadata/labels', value: {} }];
        ops.push({ op: 'add', path: '/metadata/labels/mutated', value: 'yes' } as never);
        response = { ...response, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64'), warnings: ['mutated by the test webhook'] };
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('admission chain with kubectl', { timeout: 240_000 }, () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start();
  });
  after(async () => {
    await cluster?.stop();
  });

  async function newNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    await cluster.kubectlOk(['create', 'namespace', name]);
    if (Object.keys(labels).length > 0) await cluster.kubectlOk(['label', 'namespace', name, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
    await eventually(async () => (await cluster.kubectl(['get', 'serviceaccount', 'default', '-n', name])).code === 0);
  }

  it('NamespaceLifecycle: no pods in a missing namespace, system namespaces stay', async () => {
    const r = await cluster.kubectl(['run', 'p', '--image=busybox', '-n', 'no-such-ns']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /namespaces "no-such-ns" not found/);
    const d = await cluster.kubectl(['delete', 'namespace', 'kube-system']);
    assert.notEqual(d.code, 0);
    assert.match(d.stderr, /Error from server \(Forbidden\): namespaces "kube-system" is forbidden: this namespace may not be deleted/);
  });

  it('ServiceAccount and LimitRanger: default account, token volume, resource defaults', async () => {
    await newNamespace('adm-sa');
    await cluster.kubectlOk(['apply', '-n', 'adm-sa', '-f', '-'], {
      input: `apiVersion: v1
kind: LimitRange
metadata: {name: defaults}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 128Mi}
    defaultRequest: {cpu: 100m, memory: 64Mi}
`,
    });
    await cluster.kubectlOk(['run', 'web', '--image=nginx', '-n', 'adm-sa']);
    const pod = JSON.parse(await cluster.kubectlOk(['get', 'pod', 'web', '-n', 'adm-sa', '-o', 'json'])) as {
      metadata: { annotations?: Record<string, string> };
      spec: { serviceAccountName: string; volumes: { name: string }[]; containers: { resources: unknown; volumeMounts: { mountPath: string }[] }[] };
    };
    assert.equal(pod.spec.serviceAccountName, 'default');
    assert.match(pod.spec.volumes[0]?.name ?? '', /^kube-api-access-[a-z0-9]{5}$/);
    assert.equal(pod.spec.containers[0]?.volumeMounts[0]?.mountPath, '/var/run/secrets/kubernetes.io/serviceaccount');
    assert.deepEqual(pod.spec.containers[0]?.resources, { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } });
    assert.match(pod.metadata.annotations?.['kubernetes.io/limit-ranger'] ?? '', /^LimitRanger plugin set: /);
  });

  it('ResourceQuota: exceeded quota refused, usage in describe', async () => {
    await newNamespace('adm-quota');
    await cluster.kubectlOk(['create', 'quota', 'small', '--hard=pods=1,configmaps=5', '-n', 'adm-quota']);
    await cluster.kubectlOk(['run', 'one', '--image=busybox', '-n', 'adm-quota']);
    const r = await cluster.kubectl(['run', 'two', '--image=busybox', '-n', 'adm-quota']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "two" is forbidden: exceeded quota: small, requested: pods=1, used: pods=1, limited: pods=1/);
    await eventually(async () => /pods\s+1\s+1/.test(await cluster.kubectlOk(['describe', 'quota', 'small', '-n', 'adm-quota'])));
  });

  it('PodSecurity: restricted refuses a privileged pod with upstream message', async () => {
    await newNamespace('adm-psa', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    const r = await cluster.kubectl(['apply', '-n', 'adm-psa', '-f', '-'], { input: PRIVILEGED_POD });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "priv" is forbidden: violates PodSecurity "restricted:latest": privileged \(container "c" must not set securityContext.privileged=true\)/);
  });

  it('ValidatingAdmissionPolicy: a CEL rule refuses too many replicas', async () => {
    await newNamespace('adm-vap', { policy: 'on' });
    await cluster.kubectlOk(['apply', '-f', '-'], { input: REPLICA_POLICY });
    const r = await cluster.kubectl(['create', 'deployment', 'big', '--image=nginx', '--replicas=9', '-n', 'adm-vap']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deployments.apps "big" is forbidden: ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-binding' denied request: at most 5 replicas/);
    await cluster.kubectlOk(['create', 'deployment', 'small', '--image=nginx', '--replicas=2', '-n', 'adm-vap']);
  });

  it('webhooks: a mutating and a validating webhook over HTTPS', async () => {
    const ca = await CertificateAuthority.create('admission-test-ca');
    const serving = await ca.issue({ commonName: 'webhook', ipAddresses: ['127.0.0.1'], usage: 'server' });
    const server = await serveWebhooks(serving.certPem, serving.keyPem);
    try {
      const port = (server.address() as AddressInfo).port;
      const caBundle = Buffer.from(ca.pem.certPem).toString('base64');
      const rules = `rules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}]
    namespaceSelector: {matchLabels: {hooks: "on"}}
    sideEffects: None
    admissionReviewVersions: [v1]
    timeoutSeconds: 5`;
      await cluster.kubectlOk(['apply', '-f', '-'], {
        input: `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: deny-labelled}
webhooks:
  - name: deny.test.tkube.io
    clientConfig: {url: "https://127.0.0.1:${port}/validate", caBundle: ${caBundle}}
    ${rules}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: add-label}
webhooks:
  - name: mutate.test.tkube.io
    clientConfig: {url: "https://127.0.0.1:${port}/mutate", caBundle: ${caBundle}}
    ${rules}
`,
      });
      await newNamespace('adm-hooks', { hooks: 'on' });
      const ok = await cluster.kubectl(['create', 'configmap', 'fine', '--from-literal=a=1', '-n', 'adm-hooks']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stderr, /Warning: mutated by the test webhook/);
      const stored = JSON.parse(await cluster.kubectlOk(['get', 'configmap', 'fine', '-n', 'adm-hooks', '-o', 'json'])) as { metadata: { uid?: string; labels?: Record<string, string> } };
      assert.equal(stored.metadata.labels?.['mutated'], 'yes');
      assert.match(stored.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
      const denied = await cluster.kubectl(['apply', '-n', 'adm-hooks', '-f', '-'], {
        input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nope, labels: {deny: "yes"}}\ndata: {a: "1"}\n',
      });
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /admission webhook "deny.test.tkube.io" denied the request: configmaps labelled deny=yes are not welcome/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
