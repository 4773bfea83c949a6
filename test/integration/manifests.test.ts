/**
 * Auto-deploying manifests (k3s's server/manifests): files in `<data-dir>/manifests/` are applied when the server
 * starts and when they change, with server-side apply under the field manager `tkube-deploy`; a broken file is
 * logged and the others still apply; a CRD and its custom resource in one directory both land.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`;

void describe('manifests directory', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start();
  });
  after(async () => {
    await c?.stop();
    if (c) rmSync(c.dataDir, { recursive: true, force: true });
  });

  void it('applies files as they appear and change, skips a broken one, and reapplies at start', async () => {
    const dir = join(c.dataDir, 'manifests');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '10-app.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: deployed}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: deployed}\ndata: {color: blue}\n');
    writeFileSync(join(dir, '20-broken.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [oops\n');
    // The custom resource's file sorts before its CRD's: the deployer retries kinds not served yet.
    writeFileSync(join(dir, '30-a-widget.yaml'), 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n');
    writeFileSync(join(dir, '40-widget-crd.yaml'), CRD);
    await eventually(async () => (await c.kubectl(['get', 'configmap', 'settings', '-n', 'deployed', '-o', 'jsonpath={.data.color}'])).stdout === 'blue', 30_000);
    await eventually(async () => (await c.kubectl(['get', 'widgets', 'w1', '-o', 'jsonpath={.spec.size}'])).stdout === '3', 30_000);
    assert.match(await c.kubectlOk(['get', 'configmap', 'settings', '-n', 'deployed', '-o', 'jsonpath={.metadata.managedFields[*].manager}']), /tkube-deploy/);

    writeFileSync(join(dir, '10-app.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: deployed}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: deployed}\ndata: {color: green}\n');
    await eventually(async () => (await c.kubectl(['get', 'configmap', 'settings', '-n', 'deployed', '-o', 'jsonpath={.data.color}'])).stdout === 'green', 30_000);

    // Deleted by hand, it comes back when the server starts again.
    await c.kubectlOk(['delete', 'configmap', 'settings', '-n', 'deployed']);
    await c.restart('SIGTERM');
    await eventually(async () => (await c.kubectl(['get', 'configmap', 'settings', '-n', 'deployed', '-o', 'jsonpath={.data.color}'])).stdout === 'green', 30_000);
  });
});
