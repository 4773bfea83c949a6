/**
 * Objects for snapshot tests: a namespace with config maps and a secret (encrypted at rest), the listing a restore
 * must reproduce (identity, version and data of every object of those kinds), and the check after a restore.
 */
import assert from 'node:assert/strict';

import type { TestCluster } from './test-cluster.js';

/** The state a snapshot must reproduce: every object of the kinds users make, by identity and version. */
export async function state(c: TestCluster): Promise<string[]> {
  const out = JSON.parse(await c.kubectlOk(['get', 'configmaps,secrets,namespaces,services', '-A', '-o', 'json'])) as {
    items: { kind: string; metadata: { namespace?: string; name: string; uid: string; resourceVersion: string }; data?: Record<string, string> }[];
  };
  return out.items
    // The server republishes its own address in kube-public/cluster-info at every start (join discovery reads
    // it), and a restored server listens elsewhere: that one object is rewritten, not lost.
    .filter((o) => !(o.metadata.namespace === 'kube-public' && o.metadata.name === 'cluster-info'))
    .map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name} ${o.metadata.uid} ${o.metadata.resourceVersion} ${JSON.stringify(o.data ?? {})}`)
    .sort();
}

export async function makeObjects(c: TestCluster): Promise<void> {
  const items = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'snap' } },
    ...[0, 1, 2, 3, 4].map((i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'snap' }, data: { i: String(i) } })),
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'snap' }, stringData: { password: 's3cret' } },
  ];
  await c.kubectlOk(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
}

export async function assertRestored(c: TestCluster, before: readonly string[]): Promise<void> {
  const after = await state(c);
  for (const line of before) assert.ok(after.includes(line), `missing after restore: ${line}`);
  // The secret was encrypted at rest with the original data dir's key: readable means the key came along.
  assert.equal(Buffer.from(await c.kubectlOk(['-n', 'snap', 'get', 'secret', 'creds', '-o', 'jsonpath={.data.password}']), 'base64').toString(), 's3cret');
}

