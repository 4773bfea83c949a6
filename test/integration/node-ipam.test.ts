/**
 * Node IPAM with a real server: a Node registered without a pod CIDR gets one from `--cluster-cidr` (written
 * once, as spec.podCIDR and spec.podCIDRs), subnets nodes already hold are never handed out again, and a
 * deleted node's subnet is reused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const node = (name: string, podCIDR?: string): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {} });

void describe('node IPAM', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start({ args: ['--cluster-cidr', '10.77.0.0/22', '--controllers', 'nodeipam'] });
  });
  after(async () => {
    await c?.stop();
  });

  const podCidrOf = async (name: string): Promise<string> => (await c.kubectlOk(['get', 'node', name, '-o', 'jsonpath={.spec.podCIDR} {.spec.podCIDRs[0]}'])).trim();

  void it('assigns free /24s of the cluster range to nodes without one, never one already held', async () => {
    await c.kubectlOk(['create', '-f', '-'], { input: node('holder', '10.77.3.0/24') });
    await c.kubectlOk(['create', '-f', '-'], { input: node('fresh') });
    const fresh = await eventually(async () => ((await podCidrOf('fresh')) !== '' ? podCidrOf('fresh') : undefined), 10_000);
    assert.equal(fresh, '10.77.2.0/24 10.77.2.0/24');
    assert.equal(await podCidrOf('holder'), '10.77.3.0/24 10.77.3.0/24');
    await c.kubectlOk(['create', '-f', '-'], { input: node('second') });
    await eventually(async () => (await podCidrOf('second')) === '10.77.1.0/24 10.77.1.0/24', 10_000);
  });

  void it('frees a deleted node\'s subnet and reports an exhausted range with an event', async () => {
    await c.kubectlOk(['create', '-f', '-'], { input: node('third') });
    await eventually(async () => (await podCidrOf('third')) === '10.77.0.0/24 10.77.0.0/24', 10_000);
    await c.kubectlOk(['create', '-f', '-'], { input: node('overflow') });
    await eventually(async () => /CIDRNotAvailable/.test(await c.kubectlOk(['get', 'events', '--field-selector', 'involvedObject.name=overflow'])), 10_000);
    await c.kubectlOk(['delete', 'node', 'second']);
    await eventually(async () => (await podCidrOf('overflow')) === '10.77.1.0/24 10.77.1.0/24', 15_000);
  });
});
