/**
 * HA with one server killed: a three-member etcd (Debian's etcd, the harness) and three `tkube server` processes on
 * loopback, different ports, sharing it with one `--token`. The first server stores the CA and keys in the
 * datastore and the others adopt them (one CA for all); one server holds both the kube-controller-manager and the
 * kube-scheduler Lease; the `kubernetes` Endpoints list all three. An agent given the leader's URL runs a
 * simulated node through its local load balancer. kill -9 of the leader: a survivor takes both Leases (time
 * measured), a Deployment scaled through a survivor with kubectl is reconciled and scheduled, and the agent's node
 * keeps renewing its Lease through another server. Then a graceful stop of the new leader hands over at once.
 * Service cluster IPs allocated on different servers never collide.
 * Leader-election durations are shortened by flags (lease 4 s, renew deadline 3 s, retry 500 ms).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { EtcdCluster, etcdMissing } from '../harness/etcd.js';
import { eventually, TestCluster, tkubeArgv } from '../harness/test-cluster.js';

const skip = etcdMissing();
const TOKEN = 'ha-test-cluster-secret';
const LEASE_MS = 4_000;

function identityOf(c: TestCluster): string {
  return `${hostname()}_${readFileSync(join(c.dataDir, 'server-id'), 'utf8').trim()}`;
}

/** acquiredAt is when the later of the two singleton Leases was acquired (the new holder's clock: this machine's). */
async function acquiredAt(c: TestCluster): Promise<number> {
  const times = await Promise.all(['kube-controller-manager', 'kube-scheduler'].map((l) => c.kubectlOk(['get', 'lease', '-n', 'kube-system', l, '-o', 'jsonpath={.spec.acquireTime}'])));
  return Math.max(...times.map((t) => Date.parse(t.trim())));
}

async function holder(c: TestCluster, lease: string): Promise<string> {
  const r = await c.kubectl(['get', 'lease', '-n', 'kube-system', lease, '-o', 'jsonpath={.spec.holderIdentity}']);
  return r.code === 0 ? r.stdout.trim() : '';
}

void describe('HA: three servers on one etcd, one killed', { skip }, () => {
  let etcd: EtcdCluster;
  const servers: TestCluster[] = [];
  let agent: ChildProcess | undefined;
  let agentLog = '';

  before(async () => {
    etcd = await EtcdCluster.start({ members: 3 });
    const args = [
      // Every server runs its Ingress proxy (free ports); one of them writes Ingress status (Lease below).
      '--datastore-endpoint', etcd.endpoints.join(','), '--token', TOKEN, '--ingress-http-port', '0', '--ingress-https-port', '0',
      '--leader-elect-lease-duration', `${LEASE_MS}ms`, '--leader-elect-renew-deadline', '3s', '--leader-elect-retry-period', '500ms',
    ];
    // The first server initialises the cluster (CA and keys into the datastore); the others join it together.
    servers.push(await TestCluster.start({ args }));
    servers.push(...(await Promise.all([TestCluster.start({ args }), TestCluster.start({ args })])));
  });

  after(async () => {
    if (agent && agent.exitCode === null && agent.signalCode === null) {
      const exited = new Promise((r) => agent?.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    for (const s of servers) await s.stop();
    await etcd?.stop();
  });

  void it('fails over the controller manager, the scheduler and an agent when the leader is killed', async () => {
    const [s1, s2, s3] = servers;
    assert.ok(s1 && s2 && s3);
    // One cluster CA: a kubeconfig of one server is trusted by the others.
    assert.equal(s2.credentials().ca, s1.credentials().ca);
    assert.equal(s3.credentials().ca, s1.credentials().ca);

    // The first server leads both singletons; the Endpoints list every server.
    const leader = identityOf(s1);
    assert.equal(await holder(s3, 'kube-controller-manager'), leader);
    assert.equal(await holder(s3, 'kube-scheduler'), leader);
    assert.equal(await holder(s3, 'tkube-ingress-controller'), leader);
    await eventually(async () => {
      const ports = (await s2.kubectlOk(['get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[*].ports[0].port}'])).trim().split(/\s+/).map(Number);
      return [s1.port, s2.port, s3.port].every((p) => ports.includes(p));
    }, 20_000, 300);

    // Each server allocates Service IPs in memory but follows the others' allocations: no duplicates.
    const ips: string[] = [];
    for (const [i, s] of [s2, s3, s1, s2].entries()) {
      await s.kubectlOk(['create', 'service', 'clusterip', `svc-${i}`, '--tcp', '80']);
      ips.push((await s.kubectlOk(['get', 'service', `svc-${i}`, '-o', 'jsonpath={.spec.clusterIP}'])).trim());
    }
    assert.equal(new Set(ips).size, ips.length, `cluster IPs ${ips.join(' ')}`);

    // An agent given the leader's URL, through its load balancer.
    const caFile = join(s2.dataDir, 'cluster-ca.crt');
    writeFileSync(caFile, s1.credentials().ca);
    agent = spawn(
      process.execPath,
      [...tkubeArgv(), 'agent', '--server', s1.url, '--token', TOKEN, '--ca-file', caFile, '--runtime', 'simulated', '--node-name', 'ha-node', '--apiserver-endpoints-interval', '1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout?.setEncoding('utf8').on('data', (d: string) => (agentLog += d));
    agent.stderr?.setEncoding('utf8').on('data', (d: string) => (agentLog = (agentLog + d).slice(-100_000)));
    await eventually(async () => (await s2.kubectl(['get', 'node', 'ha-node', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout === 'True', 30_000, 300);
    await eventually(() => [s2.port, s3.port].every((p) => agentLog.includes(`:${p}`)), 20_000, 200);

    await s2.kubectlOk(['create', 'deployment', 'web', '--image', 'nginx', '--replicas', '1']);
    await eventually(async () => (await s2.kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.status.readyReplicas}'])).stdout === '1', 30_000, 300);

    // kill -9 the leader (and the agent's server).
    await s1.kill('SIGKILL');
    const killedAt = Date.now();
    let newLeader = '';
    await eventually(async () => {
      const cm = await holder(s2, 'kube-controller-manager');
      const sched = await holder(s2, 'kube-scheduler');
      if (cm !== leader && cm !== '' && sched !== leader && sched !== '') newLeader = cm;
      return newLeader !== '';
    }, 25_000, 200);
    // Measured with the Leases' acquireTime, not this test's polling (slow under load).
    const takeoverMs = (await acquiredAt(s2)) - killedAt;
    process.stderr.write(`# HA: both Leases taken over ${takeoverMs} ms after kill -9 of the leader (lease duration ${LEASE_MS} ms)\n`);
    assert.ok([identityOf(s2), identityOf(s3)].includes(newLeader));
    assert.ok(takeoverMs < 20_000, `took ${takeoverMs} ms`);

    // kubectl against a survivor works; a new scale is reconciled and scheduled by the new leader.
    await s3.kubectlOk(['scale', 'deployment', 'web', '--replicas', '3']);
    await eventually(async () => (await s3.kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.status.readyReplicas}'])).stdout === '3', 30_000, 300);

    // The agent's node keeps renewing its Lease (through another server) and stays Ready.
    await eventually(async () => {
      const renew = (await s2.kubectlOk(['get', 'lease', '-n', 'kube-node-lease', 'ha-node', '-o', 'jsonpath={.spec.renewTime}'])).trim();
      return Date.parse(renew) > killedAt + 1_000;
    }, 30_000, 500);
    assert.equal((await s2.kubectlOk(['get', 'node', 'ha-node', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).trim(), 'True');

    // The dead server leaves the Endpoints once its peer Lease goes stale.
    await eventually(async () => {
      const ports = (await s2.kubectlOk(['get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[*].ports[0].port}'])).trim().split(/\s+/).map(Number);
      return !ports.includes(s1.port) && ports.includes(s2.port) && ports.includes(s3.port);
    }, 20_000, 300);

    // A graceful stop of the new leader releases the Leases: the last server takes over within a few retries.
    const [stopping, last] = newLeader === identityOf(s2) ? [s2, s3] : [s3, s2];
    const stoppedAt = Date.now();
    await stopping.kill('SIGTERM');
    await eventually(async () => (await holder(last, 'kube-controller-manager')) === identityOf(last) && (await holder(last, 'kube-scheduler')) === identityOf(last), 15_000, 100);
    const handoverMs = (await acquiredAt(last)) - stoppedAt;
    process.stderr.write(`# HA: Leases handed over ${handoverMs} ms after a graceful stop of the leader\n`);
    assert.ok(handoverMs < LEASE_MS, `a released Lease is taken before it would expire (${handoverMs} ms)`);
    await last.kubectlOk(['scale', 'deployment', 'web', '--replicas', '1']);
    await eventually(async () => (await last.kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.status.replicas}'])).stdout === '1', 30_000, 300);
  });
});
