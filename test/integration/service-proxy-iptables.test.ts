/**
 * The iptables proxy mode on a real runc node (`--proxy-mode iptables`), end to end with kubectl: a client pod
 * reaches a ClusterIP Service's two endpoints, and the NodePort answers from the host on its global address. The
 * rules (chains of the node's prefix) go with the clean-up.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { chainPrefixFor } from '../../src/proxy/iptables/iptables-rules.js';
import { commandExists, containerHostMissing } from '../harness/host-tools.js';
import { waitForPodPhase } from '../harness/pods.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { httpGetBody } from '../harness/http-get.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing() || (commandExists('iptables-restore') ? false : 'needs iptables');

/** tableHasRules: undefined when the nftables table `ip NAME` does not exist, else whether any chain has a rule. */
function tableHasRules(name: string): boolean | undefined {
  try {
    const out = execFileSync('nft', ['list', 'table', 'ip', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    return out.split('\n').some((l) => /^\t\t(?!type )\S/.test(l));
  } catch {
    return undefined;
  }
}

void describe('iptables service proxy on a runc node', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-ipt-${process.pid}`;
  // iptables (nft back end) creates the `ip nat` and `ip filter` tables with their base chains on first use and
  // leaves them; the test removes the ones it brought about once they hold nothing else.
  const hadTables = new Set(['nat', 'filter'].filter((t) => tableHasRules(t) !== undefined));
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node, '--proxy-mode', 'iptables'] });
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'deployment', 'web', '--wait=false']);
    await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    await cleanupRuncNode(c);
    const prefix = chainPrefixFor(node);
    assert.equal(execFileSync('iptables-save', ['-t', 'nat']).toString().includes(prefix), false, 'the proxy chains are gone');
    for (const t of ['nat', 'filter']) if (!hadTables.has(t) && tableHasRules(t) === false) execFileSync('nft', ['delete', 'table', 'ip', t]);
  });

  void it('balances a ClusterIP Service from a pod and serves its NodePort', async () => {
    await c.kubectlOk(['create', 'deployment', 'web', '--image=busybox', '--replicas=2', '--', 'sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www']);
    await c.kubectlOk(['expose', 'deployment', 'web', '--type=NodePort', '--port=80', '--target-port=8080']);
    const pods = await eventually(async () => {
      const out = (await c.kubectlOk(['get', 'pods', '-l', 'app=web', '--field-selector=status.phase=Running', '-o', 'jsonpath={.items[*].metadata.name}'])).trim();
      return out.split(/\s+/).length === 2 ? out.split(/\s+/) : undefined;
    }, 90_000);
    const clusterIP = (await c.kubectlOk(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const script = `while true; do echo "got: $(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${clusterIP} 80 | tail -n 1)"; sleep 0.2; done`;
    await c.kubectlOk(['run', 'client', '--image=busybox', '--', 'sh', '-c', script]);
    await waitForPodPhase(c, 'client', ['Running']);
    let log = '';
    await eventually(async () => {
      log = await c.kubectlOk(['logs', 'client']);
      return pods.every((p) => log.includes(`got: ${p}`));
    }, 60_000).catch((err: unknown) => assert.fail(`${String(err)}; want ${pods.join(', ')}; the client printed:\n${log.slice(-1500)}`));
    assert.match(execFileSync('iptables-save', ['-t', 'nat']).toString(), new RegExp(`-d ${clusterIP.replace(/\./g, '\\.')}/32 .*--dport 80`));

    const host = /inet ([\d.]+)\//.exec(execFileSync('ip', ['-4', '-o', 'addr', 'show', 'scope', 'global']).toString())?.[1];
    if (!host) return;
    const nodePort = Number(await c.kubectlOk(['get', 'service', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    const seen = new Set<string>();
    await eventually(async () => {
      for (let i = 0; i < 8; i++) {
        const body = await httpGetBody(host, nodePort);
        if (body) seen.add(body);
      }
      return pods.every((p) => seen.has(p));
    }, 30_000).catch((err: unknown) => assert.fail(`${String(err)}; ${host}:${nodePort} answered ${[...seen].join(', ') || 'nothing'}`));
  });
});
