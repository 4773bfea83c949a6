import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  containerResources,
  containerSecurityContext,
  milliCPUToQuota,
  milliCPUToShares,
  oomScoreAdj,
  podCgroupParent,
  podQOSClass,
  podResources,
  SecurityContextError,
  type ResourceContainer,
  type ResourcePod,
} from './container-resources.js';

const GI = 2 ** 30;
const MI = 2 ** 20;

function pod(containers: ResourceContainer[], extra: Partial<NonNullable<ResourcePod['spec']>> = {}): ResourcePod {
  return { metadata: { uid: 'u1' }, spec: { containers, ...extra } };
}

void describe('QoS class and cgroup parent', () => {
  void it('classifies BestEffort, Burstable and Guaranteed as the API server does', () => {
    assert.equal(podQOSClass(pod([{ name: 'a' }])), 'BestEffort');
    assert.equal(podQOSClass(pod([{ name: 'a', resources: { requests: { memory: '10Mi' } } }])), 'Burstable');
    assert.equal(podQOSClass(pod([{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }])), 'Guaranteed');
    assert.equal(podQOSClass(pod([{ name: 'a', resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } }])), 'Burstable');
    // A container without limits makes a pod with a Guaranteed sibling Burstable.
    assert.equal(podQOSClass(pod([{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }, { name: 'b' }])), 'Burstable');
    // status.qosClass (set by the API server) wins.
    assert.equal(podQOSClass({ ...pod([{ name: 'a' }]), status: { qosClass: 'Guaranteed' } }), 'Guaranteed');
  });

  void it('puts Guaranteed pods directly under kubepods and others under their class', () => {
    assert.equal(podCgroupParent(pod([{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }])), '/kubepods/podu1');
    assert.equal(podCgroupParent(pod([{ name: 'a', resources: { requests: { cpu: '1' } } }])), '/kubepods/burstable/podu1');
    assert.equal(podCgroupParent(pod([{ name: 'a' }])), '/kubepods/besteffort/podu1');
  });
});

void describe('container cgroup settings', () => {
  void it('converts cpu to shares (min 2) and quota (period 100000, min 1000)', () => {
    assert.equal(milliCPUToShares(0), 2);
    assert.equal(milliCPUToShares(1), 2);
    assert.equal(milliCPUToShares(250), 256);
    assert.equal(milliCPUToShares(1000), 1024);
    assert.equal(milliCPUToQuota(0), 0);
    assert.equal(milliCPUToQuota(500), 50_000);
    assert.equal(milliCPUToQuota(1), 1_000);
    assert.equal(milliCPUToQuota(2500), 250_000);
  });

  void it('scores OOM by QoS: Guaranteed clamped to 0, BestEffort 1000, Burstable by its request within [2, 999]', () => {
    assert.equal(oomScoreAdj('Guaranteed', GI, 4 * GI), 0);
    assert.equal(oomScoreAdj('BestEffort', 0, 4 * GI), 1000);
    assert.equal(oomScoreAdj('Burstable', GI, 4 * GI), 750);
    assert.equal(oomScoreAdj('Burstable', 0, 4 * GI), 999);
    assert.equal(oomScoreAdj('Burstable', 4 * GI, 4 * GI), 2);
    assert.equal(oomScoreAdj('Burstable', 8 * GI, 4 * GI), 2);
  });

  void it('maps requests and limits to shares, quota, memory limit and oom_score_adj', () => {
    const c: ResourceContainer = { name: 'a', resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '500m', memory: '2Gi' } } };
    assert.deepEqual(containerResources(pod([c]), c, 4 * GI), { cpuShares: 256, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimitInBytes: 2 * GI, oomScoreAdj: 750 });
    const none: ResourceContainer = { name: 'b' };
    assert.deepEqual(containerResources(pod([none]), none, 4 * GI), { cpuShares: 2, oomScoreAdj: 1000 });
    // Limits only: requests follow the limits.
    const g: ResourceContainer = { name: 'g', resources: { limits: { cpu: '2', memory: '64Mi' } } };
    assert.deepEqual(containerResources(pod([g]), g, 4 * GI), { cpuShares: 2048, cpuQuota: 200_000, cpuPeriod: 100_000, memoryLimitInBytes: 64 * MI, oomScoreAdj: 0 });
  });

  void it('sums pod-level limits only when every container has them', () => {
    const a: ResourceContainer = { name: 'a', resources: { requests: { cpu: '100m' }, limits: { cpu: '200m', memory: '10Mi' } } };
    const b: ResourceContainer = { name: 'b', resources: { requests: { cpu: '300m' }, limits: { cpu: '300m', memory: '30Mi' } } };
    assert.deepEqual(podResources(pod([a, b])), { cpuShares: 409, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimitInBytes: 40 * MI });
    const unlimited: ResourceContainer = { name: 'u', resources: { requests: { memory: '5Mi' } } };
    assert.deepEqual(podResources(pod([a, unlimited])), { cpuShares: 102 });
    assert.deepEqual(podResources(pod([{ name: 'x' }])), { cpuShares: 2 });
    // An init container bigger than the app containers' sum sets the pod's limit.
    const init: ResourceContainer = { name: 'i', resources: { limits: { cpu: '1', memory: '100Mi' } } };
    assert.equal(podResources(pod([a, b], { initContainers: [init] })).memoryLimitInBytes, 100 * MI);
  });
});

void describe('security context', () => {
  void it('lets the container override the pod and adds fsGroup to the supplemental groups', () => {
    const c: ResourceContainer = { name: 'a', securityContext: { runAsUser: 7, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } } };
    const p = pod([c], { securityContext: { runAsUser: 1000, runAsGroup: 2000, supplementalGroups: [5000], fsGroup: 4000 } });
    assert.deepEqual(containerSecurityContext(p, c), {
      runAsUser: 7,
      runAsGroup: 2000,
      supplementalGroups: [5000, 4000],
      readonlyRootfs: true,
      noNewPrivs: true,
      capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
    });
  });

  void it('never sets no-new-privileges on privileged containers and refuses runAsNonRoot with uid 0', () => {
    const priv: ResourceContainer = { name: 'p', securityContext: { privileged: true, allowPrivilegeEscalation: false } };
    assert.deepEqual(containerSecurityContext(pod([priv]), priv), { privileged: true });
    const root: ResourceContainer = { name: 'r', securityContext: { runAsUser: 0 } };
    assert.throws(() => containerSecurityContext(pod([root], { securityContext: { runAsNonRoot: true } }), root), SecurityContextError);
    const nonRoot: ResourceContainer = { name: 'n' };
    assert.deepEqual(containerSecurityContext(pod([nonRoot], { securityContext: { runAsNonRoot: true } }), nonRoot), { runAsNonRoot: true });
  });
});
