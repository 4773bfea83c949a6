/**
 * A real node whose pods run in containerd (`tkube server --container-runtime-endpoint unix:///…`) with real
 * kubectl: the test starts a private containerd (Debian's 1.6) in a temp dir, configured as a node's (its CNI
 * network a conf_template on the node's pod bridge), the node imports the built-in pause and busybox images into it
 * from its own store and hands it the Node's pod CIDR (CRI UpdateRuntimeConfig), a busybox pod reaches Running with
 * a pod IP inside the Node's `spec.podCIDR`, a pod that exits ends Succeeded and `kubectl logs` reads the CRI log
 * containerd wrote. A containerd pod reaches another by its pod IP and through a Service's cluster IP (the node's
 * nftables service proxy, the default for CRI nodes as root), its hostPort answers on the node's address, and the
 * NetworkPolicy table blocks the Service traffic once a deny-all policy selects the endpoint.
 * containerd is stopped by its pid and its dirs, mounts, netns and bridge, and the node's tables, are removed afterwards.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cidrContains, parseCidr } from '../../src/base/net/cidr.js';
import { parseIP } from '../../src/base/net/ip-address.js';
import { startContainerd, writeContainerdConfig, type RunningContainerd } from '../../src/agent/runtime/cri/containerd-daemon.js';
import { freePort } from '../../src/base/net/free-port.js';
import { containerdHostMissing } from '../harness/host-tools.js';
import { httpGetBody } from '../harness/http-get.js';
import { deleteNodeTables, nodeTables } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerdHostMissing();

/** inCidr tells whether `ip` lies inside `cidr`. */
function inCidr(ip: string, cidr: string): boolean {
  const address = parseIP(ip);
  return address !== undefined && cidrContains(parseCidr(cidr), address);
}

interface PodJson {
  status?: { phase?: string; podIP?: string; containerStatuses?: { ready: boolean; state: { running?: unknown; terminated?: { exitCode: number } } }[] };
}

void describe('kubelet with the containerd CRI runtime', { skip }, () => {
  // Short: containerd's socket path must stay under the unix socket limit.
  const dir = mkdtempSync('/tmp/tkcdi-');
  // The node's pod bridge, named for containerd's CNI network and for the node (`--pod-bridge-name`) alike.
  const bridge = `tkcdi${process.pid % 1_000_000}`;
  let daemon: RunningContainerd | undefined;
  let c: TestCluster | undefined;
  const node = `tkube-cd-${process.pid}`;

  before(async () => {
    await writeContainerdConfig(join(dir, 'cd'), { bridgeName: bridge });
    daemon = await startContainerd(join(dir, 'cd'));
    c = await TestCluster.start({ agent: true, args: ['--container-runtime-endpoint', daemon.paths.endpoint, '--node-name', node, '--kubelet-port', '0', '--pod-bridge-name', bridge] });
  });

  const podUids: string[] = [];
  after(async () => {
    if (c) {
      await c.kubectl(['delete', 'networkpolicies', '--all']);
      await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
      const tables = nodeTables(c.dataDir);
      await c.stop();
      // The service proxy's and NetworkPolicy tables outlive the server by design.
      await deleteNodeTables(tables);
      rmSync(c.dataDir, { recursive: true, force: true });
    }
    // Removes every sandbox left (shims, netns and mounts go with them), then the daemon, its mounts and bridge.
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
    // The pods' cgroup parents (the kubelet's /kubepods/pod<uid>) outlive their containers; kubepods goes when empty.
    const dirs = podUids.map((u) => `/sys/fs/cgroup/*/kubepods/pod${u}`).join(' ');
    execFileSync('sh', ['-c', `for d in ${dirs}; do rmdir "$d" 2>/dev/null; done; for d in /sys/fs/cgroup/*/kubepods; do rmdir "$d" 2>/dev/null; done; true`]);
  });

  const pod = async (name: string): Promise<PodJson> => JSON.parse(await (c as TestCluster).kubectlOk(['get', 'pod', name, '-o', 'json'])) as PodJson;

  void it('runs busybox pods in containerd and serves their logs', async () => {
    const k = c as TestCluster;
    await eventually(async () => /\sReady\s/.test(await k.kubectlOk(['get', 'node', node])), 30_000);
    const info = JSON.parse(await k.kubectlOk(['get', 'node', node, '-o', 'json'])) as { status?: { nodeInfo?: { containerRuntimeVersion?: string } } };
    assert.match(info.status?.nodeInfo?.containerRuntimeVersion ?? '', /^containerd:\/\/1\./);
    await k.kubectlOk(['run', 'sleeper', '--image=busybox', '--', 'sleep', '3600']);
    const running = await eventually(async () => {
      const p = await pod('sleeper');
      return p.status?.phase === 'Running' ? p : undefined;
    }, 90_000);
    const podCidr = await k.kubectlOk(['get', 'node', node, '-o', 'jsonpath={.spec.podCIDR}']);
    assert.ok(inCidr(running.status?.podIP ?? '', podCidr), `pod IP ${running.status?.podIP} is inside the Node's podCIDR ${podCidr}`);
    await k.kubectlOk(['run', 'once', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'echo first; echo oops >&2; echo done']);
    await eventually(async () => (await pod('once')).status?.phase === 'Succeeded', 90_000);
    podUids.push(...(await k.kubectlOk(['get', 'pods', '-o', 'jsonpath={.items[*].metadata.uid}'])).split(' ').filter(Boolean));
    assert.deepEqual((await k.kubectlOk(['logs', 'once'])).split('\n').sort(), ['', 'done', 'first', 'oops']);
    assert.match(await k.kubectlOk(['logs', 'once', '--tail=1', '--timestamps']), /^\d{4}-\d\d-\d\dT[\d:.]+Z (done|oops)\n$/);
    await k.kubectlOk(['delete', 'pod', 'sleeper', 'once', '--grace-period=1', '--timeout=60s']);
  });

  void it('reaches a Service cluster IP from a containerd pod through the node proxy; NetworkPolicy applies', async () => {
    const k = c as TestCluster;
    const hostPort = await freePort();
    const web = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: 'busybox', command: ['sh', '-c', 'mkdir -p /www && echo web-ok > /www/index.html && exec httpd -f -p 8080 -h /www'], ports: [{ containerPort: 8080, hostPort }] }] } };
    await Promise.all([
      k.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(web) }),
      k.kubectlOk(['run', 'client', '--image=busybox', '--', 'sleep', '3600']),
    ]);
    await k.kubectlOk(['expose', 'pod', 'web', '--port=80', '--target-port=8080']);
    const clusterIP = await k.kubectlOk(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    await eventually(async () => (await pod('web')).status?.phase === 'Running' && (await pod('client')).status?.phase === 'Running', 90_000);
    podUids.push(...(await k.kubectlOk(['get', 'pods', '-o', 'jsonpath={.items[*].metadata.uid}'])).split(' ').filter(Boolean));
    // (busybox's nc: its wget crashes in this image's containerd pods.)
    const fetchVia = async (): Promise<string> => (await k.kubectl(['exec', 'client', '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 1 ${clusterIP} 80`])).stdout;
    await eventually(async () => (await fetchVia()).includes('web-ok'), 30_000, 200);
    // Pod to pod by IP on the node's bridge.
    const webIP = (await pod('web')).status?.podIP ?? '';
    const direct = await k.kubectl(['exec', 'client', '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 1 ${webIP} 8080`]);
    assert.match(direct.stdout, /web-ok/);
    // The hostPort, in the node's NAT table as for runc pods, answers on the node's address (127.0.0.1 here).
    assert.equal(await eventually(() => httpGetBody('127.0.0.1', hostPort), 10_000, 200), 'web-ok');
    await k.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web-deny', namespace: 'default' }, spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] } }) });
    await eventually(async () => !(await fetchVia()).includes('web-ok'), 30_000, 200);
  });
});
