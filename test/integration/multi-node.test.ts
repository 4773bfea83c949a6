/**
 * Several real nodes on one machine (issue 7): a server and two `tkube agent --runtime runc` processes, each in a
 * node host of its own (network namespace, own address, one shared bridge: host-gw routes). Pods on one node and
 * on two nodes reach each other by IP without masquerade, and a Service by name across nodes; a hostNetwork pod
 * gets its node's address, and a hostPort answers on its node's host address. Everything made is removed, which the last step checks.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { containerHostMissing } from '../harness/host-tools.js';
import { clientPod, NodeHostsCluster, webPod } from '../harness/node-hosts.js';
import { waitForPodPhase } from '../harness/pods.js';
import { eventually } from '../harness/test-cluster.js';
import { inCidr } from '../../src/agent/network/route-plan.js';

const skip = containerHostMissing();

interface PodJson {
  status?: { phase?: string; podIP?: string; hostIP?: string };
  spec?: { nodeName?: string };
}

void describe('several nodes on one machine, hosts on one link (host-gw)', { skip }, () => {
  let mn: NodeHostsCluster | undefined;
  const cluster = (): NodeHostsCluster => {
    assert.ok(mn, 'the cluster started');
    return mn;
  };
  before(async () => {
    mn = await NodeHostsCluster.start({ nodes: 2 });
  });
  after(async () => {
    await mn?.stop();
  });

  void it('gives each node its own pod CIDR and routes to the other node through its host address', async () => {
    const { server, agents } = cluster();
    const cidrs = await Promise.all(agents.map(async (a) => server.kubectlOk(['get', 'node', a.nodeName, '-o', 'jsonpath={.spec.podCIDR}'])));
    assert.notEqual(cidrs[0], cidrs[1]);
    for (const cidr of cidrs) assert.ok(inCidr(cidr.split('/')[0] ?? '', cluster().clusterCidr), `${cidr} in ${cluster().clusterCidr}`);
    const [a, b] = [cluster().agent(0), cluster().agent(1)];
    await eventually(() => execFileSync('ip', ['-n', a.host.netns, 'route', 'show', 'proto', '116']).toString().includes(`${cidrs[1] ?? ''} via ${b.host.address}`), 20_000);
    await eventually(() => execFileSync('ip', ['-n', b.host.netns, 'route', 'show', 'proto', '116']).toString().includes(`${cidrs[0] ?? ''} via ${a.host.address}`), 20_000);
  });

  void it('lets pods on one node and on two nodes reach each other by IP, unmasqueraded', async () => {
    const { server } = cluster();
    const [a, b] = [cluster().agent(0), cluster().agent(1)];
    await server.kubectlOk(['apply', '-f', '-'], { input: webPod('web-a', a.nodeName) });
    await server.kubectlOk(['apply', '-f', '-'], { input: webPod('web-b', b.nodeName, 8080) });
    const webA = await waitForPodPhase<PodJson>(server, 'web-a', ['Running']);
    const webB = await waitForPodPhase<PodJson>(server, 'web-b', ['Running']);
    const ipA = webA.status?.podIP ?? '';
    const ipB = webB.status?.podIP ?? '';
    assert.equal(webA.status?.hostIP, a.host.address);
    assert.equal(webB.status?.hostIP, b.host.address);

    await server.kubectlOk(['apply', '-f', '-'], { input: clientPod('client', a.nodeName, [ipA, ipB]) });
    const client = await waitForPodPhase<PodJson>(server, 'client', ['Running']);
    let log = '';
    await eventually(async () => {
      log = await server.kubectlOk(['logs', 'client']);
      return log.includes(`${ipA}: hello-from-web-a`) && log.includes(`${ipB}: hello-from-web-b`);
    }, 30_000).catch((err: unknown) => assert.fail(`${String(err)}; the client pod printed:\n${log.slice(-1000)}`));
    // Pod → pod across nodes keeps the client's address (masquerade is only for traffic leaving the cluster CIDR).
    const seen = await server.kubectlOk(['logs', 'web-b']);
    assert.ok(seen.includes(client.status?.podIP ?? '-'), `web-b saw the client's pod IP ${client.status?.podIP ?? ''}:\n${seen.slice(-500)}`);
  });

  void it('reaches a Service by name from another node (cluster DNS and the service proxy of each node)', async () => {
    const { server } = cluster();
    await server.kubectlOk(['label', 'pod', 'web-b', 'app=web-b']);
    await server.kubectlOk(['expose', 'pod', 'web-b', '--name=web-b', '--port=80', '--target-port=8080']);
    // The client runs on node A, the only endpoint on node B: name → kube-dns (through node A's proxy) → cluster IP
    // (node A's proxy again) → web-b's pod IP over the route to node B.
    let last = '';
    await eventually(async () => {
      const r = await server.kubectl(['exec', 'client', '--', 'sh', '-c', `printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 web-b 80 | tail -n 1`]);
      last = `${r.stdout}${r.stderr}`;
      return r.stdout.trim() === 'hello-from-web-b';
    }, 45_000).catch((err: unknown) => assert.fail(`${String(err)}; the client got: ${last}`));
  });

  void it('answers a hostPort on its node host address, and gives a hostNetwork pod its node address', async () => {
    const { server } = cluster();
    const b = cluster().agent(1);
    const body = await eventually(async () => {
      try {
        const r = await fetch(`http://${b.host.address}:8080/`, { signal: AbortSignal.timeout(2000) });
        return r.ok ? await r.text() : undefined;
      } catch {
        return undefined;
      }
    }, 15_000);
    assert.equal(body, 'hello-from-web-b\n');
    await server.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hostnet' }, spec: { nodeName: b.nodeName, hostNetwork: true, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } }),
    });
    const p = await waitForPodPhase<PodJson>(server, 'hostnet', ['Running']);
    assert.equal(p.status?.podIP, b.host.address);
  });

  void it('leaves no namespace, link or route behind', async () => {
    const c = cluster();
    mn = undefined;
    await c.stop();
    const netns = execFileSync('ip', ['netns', 'list']).toString();
    for (const h of c.plan.hosts) assert.ok(!netns.includes(h.netns), `${h.netns} removed`);
    const links = execFileSync('ip', ['-o', 'link', 'show']).toString();
    assert.ok(!links.includes(c.plan.bridge), `${c.plan.bridge} removed`);
    assert.equal(execFileSync('ip', ['route', 'show', 'proto', '116']).toString().trim(), '');
  });
});
