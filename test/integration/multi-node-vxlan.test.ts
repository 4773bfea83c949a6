/**
 * Several real nodes on one machine whose hosts are on different subnets (routed through the root namespace, no
 * shared link): the nodes publish their VTEP MACs and reach each other's pod CIDRs through VXLAN devices, and pods
 * on the two nodes reach each other by IP. The cluster is dual-stack: the IPv6 pod CIDRs go over the same VXLAN
 * devices (an IPv6 VTEP each), and the pods reach each other over IPv6 too.
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
    mn = await NodeHostsCluster.start({ nodes: 2, subnets: 2, dualStack: true });
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

    // Dual-stack: the IPv6 pod CIDR of node b is routed over the VXLAN device, and the pods talk over IPv6.
    const ip6B = (await server.kubectlOk(['get', 'pod', 'web-b', '-o', 'jsonpath={.status.podIPs[1].ip}'])).trim();
    assert.match(ip6B, /^fd42:/);
    const cidr6B = (await server.kubectlOk(['get', 'node', b.nodeName, '-o', 'jsonpath={.spec.podCIDRs[1]}'])).trim();
    await eventually(() => execFileSync('ip', ['-n', a.host.netns, '-6', 'route', 'show', 'proto', '116']).toString().includes(`${cidr6B} via `), 20_000);
    const over6 = await eventually(async () => {
      const out = (await server.kubectlOk(['exec', 'client', '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip6B} 8080 | tail -n 1`])).trim();
      return out === 'hello-from-web-b' ? out : undefined;
    }, 20_000).catch((err: unknown) => assert.fail(`${String(err)}: client on ${a.nodeName} → [${ip6B}]:8080 on ${b.nodeName}`));
    assert.equal(over6, 'hello-from-web-b');

    // Full-size segments through the 1450-byte VXLAN device: path MTU discovery must work for a bulk transfer.
    const big = await server.kubectlOk(['exec', 'client', '--', 'sh', '-c', `printf 'GET /big HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${ipB} 8080 | wc -c`]);
    assert.ok(Number(big.trim()) > 256 * 1024, `got ${big.trim()} bytes of a 256 KiB response`);
  });
});
