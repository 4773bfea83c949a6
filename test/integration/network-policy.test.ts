/**
 * NetworkPolicy enforcement on a real runc node, driven with real kubectl: a web pod (httpd on 8080, named port
 * "http", and on 9090), clients with different labels in two namespaces, reachability read with `kubectl exec …
 * nc` against pod IPs. No policy → all reach; deny-all ingress → none (the node itself still does); allow from
 * role=client on the named port → only that pod, only that port; a namespaceSelector peer → the other namespace's
 * client too; an egress deny on the client → it reaches nothing although ingress would allow it, not even the node
 * (a listener on the bridge address, judged in the input hook) until an ipBlock names that address; deleting the
 * policies → everything reachable again. Clean-up removes the policy table.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readPolicyTableRecord } from '../../src/agent/network/policy/policy-table-record.js';
import { containerHostMissing } from '../harness/host-tools.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();

interface PodJson {
  status?: { phase?: string; podIP?: string };
}

interface Probe {
  readonly ns: string;
  readonly pod: string;
  readonly port: number;
  /** The address to reach. @default the web pod's */
  readonly ip?: string;
  /** What the answer contains. @default web-ok */
  readonly answer?: string;
}

const OTHER_NS = 'np-blue';

void describe('NetworkPolicy on a runc node', { skip }, () => {
  let c: TestCluster;
  let table: string | undefined;
  const node = `tkube-np-${process.pid}`;
  before(async () => {
    c = await TestCluster.start({ agent: true, args });
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'networkpolicies', '--all', '-A']);
    await Promise.all([
      c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']),
      c.kubectl(['delete', 'pods', '--all', '-n', OTHER_NS, '--grace-period=1', '--wait=true', '--timeout=60s']),
    ]);
    table ??= readPolicyTableRecord(join(c.dataDir, 'agent', 'network-policy'))?.table;
    await cleanupRuncNode(c);
    if (table) assert.equal(tableExists(table), false, 'the policy table is gone');
  });

  const args = ['--container-runtime', 'runc', '--node-name', node];
  let webIP = '';
  const client: Probe = { ns: 'default', pod: 'client', port: 8080 };
  const clientAlt: Probe = { ...client, port: 9090 };
  const other: Probe = { ns: 'default', pod: 'other', port: 8080 };
  const remote: Probe = { ns: OTHER_NS, pod: 'remote', port: 8080 };
  const reaches = async (p: Probe): Promise<boolean> => {
    const r = await c.kubectl(['exec', '-n', p.ns, p.pod, '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 1 ${p.ip ?? webIP} ${p.port}`]);
    return r.stdout.includes(p.answer ?? 'web-ok');
  };
  /** expect polls until every probe gives its expected answer (the table is written asynchronously). */
  const expect = async (step: string, want: readonly [Probe, boolean][], timeoutMs = 20_000): Promise<void> => {
    let got: boolean[] = [];
    await eventually(async () => {
      got = await Promise.all(want.map(([p]) => reaches(p)));
      return got.every((g, i) => g === want[i]?.[1]);
    }, timeoutMs, 200).catch(() => {
      const lines = want.map(([p, w], i) => `${p.ns}/${p.pod}:${p.port} want ${w ? 'reach' : 'blocked'}, got ${got[i] ? 'reach' : 'blocked'}`);
      const listing = table ? execFileSync('sh', ['-c', `nft list table ip ${table} 2>&1; true`]).toString() : '';
      assert.fail(`${step}:\n${lines.join('\n')}\n${listing}`);
    });
  };
  const tableExists = (name: string): boolean => execFileSync('nft', ['list', 'tables']).toString().includes(` ${name}\n`);
  const apply = (obj: unknown): Promise<string> => c.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(obj) });
  const policy = (name: string, spec: unknown): Promise<string> => apply({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'default' }, spec });

  void it('blocks and allows as written', async () => {
    await c.kubectlOk(['create', 'namespace', OTHER_NS]);
    await c.kubectlOk(['label', 'namespace', OTHER_NS, 'team=blue']);
    const box = (ns: string, name: string, labels: Record<string, string>): Promise<string> =>
      apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } });
    await Promise.all([
      apply({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{
            name: 'httpd',
            image: 'busybox',
            command: ['sh', '-c', 'mkdir -p /www && echo web-ok > /www/index.html && httpd -p 9090 -h /www && exec httpd -f -p 8080 -h /www'],
            ports: [{ name: 'http', containerPort: 8080 }, { name: 'alt', containerPort: 9090 }],
          }],
        },
      }),
      box('default', 'client', { role: 'client' }),
      box('default', 'other', { role: 'other' }),
      box(OTHER_NS, 'remote', { role: 'client' }),
    ]);
    const ipOf = (ns: string, name: string): Promise<string> =>
      eventually(async () => {
        const p = JSON.parse(await c.kubectlOk(['get', 'pod', '-n', ns, name, '-o', 'json'])) as PodJson;
        return p.status?.phase === 'Running' ? p.status.podIP : undefined;
      }, 60_000);
    [webIP] = await Promise.all([ipOf('default', 'web'), ipOf('default', 'client'), ipOf('default', 'other'), ipOf(OTHER_NS, 'remote')]);
    table = readPolicyTableRecord(join(c.dataDir, 'agent', 'network-policy'))?.table;
    assert.ok(table, 'the node recorded its policy table');

    await expect('no policy', [[client, true], [clientAlt, true], [other, true], [remote, true]]);

    await policy('deny-all', { podSelector: {}, policyTypes: ['Ingress'] });
    await expect('deny-all ingress', [[client, false], [other, false], [remote, false]]);
    // The node is always allowed to reach its pods (kubelet probes, port-forward): it does not cross the forward hook.
    const fromNode = await fetch(`http://${webIP}:8080/`, { signal: AbortSignal.timeout(3000) }).then((r) => r.text());
    assert.equal(fromNode, 'web-ok\n');

    await policy('allow-clients', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 'http' }] }] });
    await expect('allow role=client on the named port http', [[client, true], [clientAlt, false], [other, false], [remote, false]]);

    await policy('allow-blue', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'blue' } } }] }] });
    await expect('allow namespace team=blue', [[remote, true], [client, true], [other, false]]);

    // The node itself, on its bridge address: pod traffic to it meets the input hook, not forward.
    const podCidr = await c.kubectlOk(['get', 'node', node, '-o', 'jsonpath={.spec.podCIDR}']);
    const gateway = podCidr.replace(/\.0\/\d+$/, '.1');
    const nodeServer = createServer((s) => s.end('node-ok\n'));
    await new Promise<void>((resolve, reject) => nodeServer.once('error', reject).listen(0, gateway, resolve));
    try {
      const nodePort = (nodeServer.address() as AddressInfo).port;
      const clientToNode: Probe = { ...client, ip: gateway, port: nodePort, answer: 'node-ok' };
      const otherToNode: Probe = { ...other, ip: gateway, port: nodePort, answer: 'node-ok' };
      await expect('the node before egress policies', [[clientToNode, true], [otherToNode, true]]);

      await policy('client-no-egress', { podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Egress'] });
      await expect('egress deny on default/client', [[client, false], [remote, true], [clientToNode, false], [otherToNode, true]]);

      await policy('client-to-node', { podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: `${gateway}/32` } }], ports: [{ port: nodePort }] }] });
      await expect('an ipBlock naming the node address', [[clientToNode, true], [client, false]]);
    } finally {
      nodeServer.close();
    }

    await c.kubectlOk(['delete', 'networkpolicy', 'deny-all', 'allow-clients', 'allow-blue', 'client-no-egress', 'client-to-node']);
    await expect('policies deleted', [[client, true], [clientAlt, true], [other, true], [remote, true]]);
  });

  void it('keeps the table while the server is down, and --disable-network-policy removes it', async () => {
    assert.ok(table);
    await policy('deny-all', { podSelector: {}, policyTypes: ['Ingress'] });
    await expect('deny-all again', [[client, false]]);
    await c.kill('SIGKILL');
    assert.ok(tableExists(table), 'pods outlive the agent, and so does their isolation');
    await c.restart('SIGKILL', { agent: true, args: [...args, '--disable-network-policy'] });
    await eventually(() => c.log.includes('NetworkPolicy enforcement off'), 30_000);
    assert.equal(tableExists(table), false);
    assert.equal(readPolicyTableRecord(join(c.dataDir, 'agent', 'network-policy')), undefined);
    await expect('enforcement off', [[client, true], [other, true]], 30_000);
  });
});

