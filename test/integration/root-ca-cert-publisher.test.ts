/**
 * The root-ca-cert-publisher inside `tkube server`, driven by real kubectl: every namespace (those made at boot
 * and new ones) gets `kube-root-ca.crt` holding exactly the server's CA with upstream's description; a deleted
 * one comes back, an edited one is restored; `--controllers '*,-root-ca-cert-publisher'` publishes nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

interface ConfigMapJson {
  metadata: { uid: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  data?: Record<string, string>;
}

void describe('root-ca-cert-publisher', () => {
  let c: TestCluster;
  let ca: string;
  before(async () => {
    c = await TestCluster.start();
    ca = readFileSync(join(c.dataDir, 'tls', 'ca.crt'), 'utf8');
  });
  after(async () => {
    await c?.stop();
  });

  const rootCA = async (ns: string): Promise<ConfigMapJson | undefined> => {
    const r = await c.kubectl(['get', 'configmap', 'kube-root-ca.crt', '-n', ns, '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as ConfigMapJson) : undefined;
  };

  void it('publishes the server CA into every namespace, new ones included', async () => {
    assert.match(ca, /^-----BEGIN CERTIFICATE-----\n/);
    // The CA clients are given in their kubeconfig is the one published.
    const kubeconfigCA = Buffer.from((await c.kubectlOk(['config', 'view', '--raw', '-o', 'jsonpath={.clusters[0].cluster.certificate-authority-data}'])).trim(), 'base64').toString('utf8');
    assert.equal(kubeconfigCA, ca);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const cm = await eventually(() => rootCA(ns), 20_000);
      assert.deepEqual(cm.data, { 'ca.crt': ca }, ns);
    }
    await c.kubectlOk(['create', 'namespace', 'fresh']);
    const cm = await eventually(() => rootCA('fresh'), 20_000);
    assert.deepEqual(cm.data, { 'ca.crt': ca });
    assert.match(cm.metadata.annotations?.['kubernetes.io/description'] ?? '', /^Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes\.default\.svc\. No other usage is guaranteed across distributions of Kubernetes clusters\.$/);
  });

  void it('brings a deleted kube-root-ca.crt back and restores an edited one', async () => {
    await c.kubectlOk(['create', 'namespace', 'tamper']);
    const first = await eventually(() => rootCA('tamper'), 20_000);
    await c.kubectlOk(['delete', 'configmap', 'kube-root-ca.crt', '-n', 'tamper']);
    const again = await eventually(async () => {
      const cm = await rootCA('tamper');
      return cm && cm.metadata.uid !== first.metadata.uid ? cm : undefined;
    }, 20_000);
    assert.deepEqual(again.data, { 'ca.crt': ca });
    await c.kubectlOk(['patch', 'configmap', 'kube-root-ca.crt', '-n', 'tamper', '--type=merge', '-p', JSON.stringify({ metadata: { labels: { mine: 'yes' }, annotations: { 'kubernetes.io/description': null } }, data: { 'ca.crt': 'forged', extra: 'x' } })]);
    const restored = await eventually(async () => {
      const cm = await rootCA('tamper');
      return cm?.data?.['ca.crt'] === ca && cm.metadata.annotations?.['kubernetes.io/description'] ? cm : undefined;
    }, 20_000);
    assert.deepEqual(restored.data, { 'ca.crt': ca });
    assert.equal(restored.metadata.labels?.['mine'], 'yes', 'the user\'s label stays');
  });
});

void describe('tkube server --controllers without root-ca-cert-publisher', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start({ args: ['--controllers', '*,-root-ca-cert-publisher'] });
  });
  after(async () => {
    await c?.stop();
  });

  void it('publishes nothing', async () => {
    await c.kubectlOk(['create', 'namespace', 'quiet']);
    // The default ServiceAccount appearing shows the controllers ran over the new namespace.
    await eventually(async () => (await c.kubectl(['get', 'sa', 'default', '-n', 'quiet'])).code === 0, 20_000);
    for (const ns of ['default', 'quiet']) assert.notEqual((await c.kubectl(['get', 'configmap', 'kube-root-ca.crt', '-n', ns])).code, 0);
  });
});
