/**
 * Several real nodes on one machine whose hosts are on different subnets (routed through the root namespace, no
 * shared link): the nodes publish their VTEP MACs and reach each other's pod CIDRs through VXLAN devices, and pods
 * on the two nodes reach each other by IP.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { containerHostMissing } from '../harness/host-tools.js';
import { clientPod, NodeHostsCluster, webPod } from '../harness/node-hosts.js';
import { waitForPodPhase } from '../harness/pods.js';
import { eventually } from '../harness/test-cluster.js';
import { VTEP_MAC_ANNOTATION } from '../../src/agent/network/route-plan.js';

const skip = containerHostMissing();

void describe('several nodes on one machine, hosts on different subnets (VXLAN)', { skip }, () => {
  let mn: NodeHostsCluster | undefined;
  before(async () => {
    mn = await NodeHostsCluster.start({ nodes: 2, subnets: 2 });
  });
  after(async () => {
    await mn?.stop();
  });

  void it('routes pod CIDRs through a VXLAN device and lets pods on the two nodes reach each other by IP', async () => {
    assert.ok(mn);
    const { server } = mn;
    const [a, b] = [mn.agent(0), mn.agent(1)];
    // The node publishes its VTEP's MAC once its route controller has made the device (after Ready).
    const mac = await eventually(async () => {
      const m = (await server.kubectlOk(['get', 'node', b.nodeName, '-o', `jsonpath={.metadata.annotations.${VTEP_MAC_ANNOTATION.replace(/\./g, '\\.')}}`])).trim();
      return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(m) ? m : undefined;
    }, 20_000);
    const cidrB = await server.kubectlOk(['get', 'node', b.nodeName, '-o', 'jsonpath={.spec.podCIDR}']);
    await eventually(() => execFileSync('ip', ['-n', a.host.netns, 'route', 'show', 'proto', '116']).toString().includes(`${cidrB} via ${cidrB.split('/')[0] ?? ''} dev tkube.1 onlink`), 20_000);
    assert.match(execFileSync('ip', ['-n', a.host.netns, '-d', 'link', 'show', 'tkube.1']).toString(), /vxlan id 1 local \S+ dev eth0|vxlan id 1 local/);
    assert.match(execFileSync('bridge', ['-n', a.host.netns, 'fdb', 'show', 'dev', 'tkube.1']).toString(), new RegExp(`${mac} dst ${b.host.address}`));

    await server.kubectlOk(['apply', '-f', '-'], { input: webPod('web-b', b.nodeName) });
    const ipB = (await waitForPodPhase<{ status?: { podIP?: string; phase?: string } }>(server, 'web-b', ['Running'])).status?.podIP ?? '';
    await server.kubectlOk(['apply', '-f', '-'], { input: clientPod('client', a.nodeName, [ipB]) });
    await waitForPodPhase(server, 'client', ['Running']);
    let log = '';
    await eventually(async () => {
      log = await server.kubectlOk(['logs', 'client']);
      return log.includes(`${ipB}: hello-from-web-b`);
    }, 30_000).catch((err: unknown) => assert.fail(`${String(err)}; the client pod printed:\n${log.slice(-1000)}`));

    // Full-size segments through the 1450-byte VXLAN device: path MTU discovery must work for a bulk transfer.
    const big = await server.kubectlOk(['exec', 'client', '--', 'sh', '-c', `printf 'GET /big HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${ipB} 8080 | wc -c`]);
    assert.ok(Number(big.trim()) > 256 * 1024, `got ${big.trim()} bytes of a 256 KiB response`);
  });
});
