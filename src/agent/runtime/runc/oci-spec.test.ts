import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ContainerConfig } from '../../cri/runtime-service.js';
import type { ImageConfig } from '../../images/image-store.js';
import { ociSpec } from './oci-spec.js';
import { applyPodCgroup, removePodCgroup } from './pod-cgroup.js';

const image: ImageConfig = { entrypoint: [], cmd: ['sh'], env: [], workingDir: '', user: '', exposedPorts: [], labels: {} };

function config(linux: ContainerConfig['linux']): ContainerConfig {
  return { metadata: { name: 'c', attempt: 0 }, image: 'busybox', command: [], args: [], envs: [], mounts: [], labels: {}, annotations: {}, logPath: 'c/0.log', ...(linux ? { linux } : {}) };
}

interface Spec {
  process: { user: { uid: number; gid: number; additionalGids: number[] }; noNewPrivileges: boolean; oomScoreAdj: number; capabilities: { bounding: string[] } };
  root: { readonly: boolean };
  linux: { resources: Record<string, unknown>; maskedPaths?: string[] };
}

const spec = (linux: ContainerConfig['linux']): Spec => ociSpec({ config: config(linux), image, rootfs: '/nonexistent', hostname: 'h', netnsPath: undefined, etcMounts: [], cgroupsPath: '/kubepods/burstable/podu/c' }) as unknown as Spec;

void describe('ociSpec resources and security', () => {
  void it('writes cgroup v1 memory, cpu and pids settings and keeps oom_score_adj non-negative', () => {
    const s = spec({ resources: { cpuShares: 256, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimitInBytes: 64 << 20, pidsLimit: 100, oomScoreAdj: -997 } });
    assert.deepEqual(s.linux.resources, { memory: { limit: 64 << 20 }, cpu: { shares: 256, quota: 50_000, period: 100_000 }, pids: { limit: 100 } });
    assert.equal(s.process.oomScoreAdj, 0);
  });

  void it('maps user, groups, read-only root, no-new-privileges and capabilities', () => {
    const s = spec({ securityContext: { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], readonlyRootfs: true, noNewPrivs: true, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } } });
    assert.deepEqual(s.process.user, { uid: 1000, gid: 3000, additionalGids: [4000] });
    assert.equal(s.root.readonly, true);
    assert.equal(s.process.noNewPrivileges, true);
    assert.deepEqual(s.process.capabilities.bounding, ['CAP_NET_ADMIN']);
  });

  void it('gives privileged containers every capability and device, without masked paths', () => {
    const s = spec({ securityContext: { privileged: true, noNewPrivs: true } });
    assert.ok(s.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
    assert.equal(s.process.noNewPrivileges, false);
    assert.deepEqual(s.linux.resources['devices'], [{ allow: true, access: 'rwm' }]);
    assert.equal(s.linux.maskedPaths, undefined);
  });

  void it('refuses runAsNonRoot when the container would run as root', () => {
    assert.throws(() => spec({ securityContext: { runAsNonRoot: true } }), /runAsNonRoot and image will run as root/);
    assert.doesNotThrow(() => spec({ securityContext: { runAsNonRoot: true, runAsUser: 1 } }));
  });
});

void describe('pod cgroup', () => {
  const root = mkdtempSync(join(tmpdir(), 'tkube-cgroup-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  void it('makes the pod cgroup in each hierarchy, writes its limits and removes it again', () => {
    for (const c of ['cpu', 'cpuacct', 'memory', 'pids']) mkdirSync(join(root, c));
    applyPodCgroup('/kubepods/burstable/podu', { cpuShares: 409, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimitInBytes: 40 << 20 }, root);
    const read = (c: string, f: string): string => readFileSync(join(root, c, 'kubepods/burstable/podu', f), 'utf8');
    assert.equal(read('cpu', 'cpu.shares'), '409');
    assert.equal(read('cpu', 'cpu.cfs_quota_us'), '50000');
    assert.equal(read('memory', 'memory.limit_in_bytes'), String(40 << 20));
    // (A real cgroup dir is empty to rmdir; files written here stand for the kernel's and must go first.)
    for (const [c, f] of [['cpu', 'cpu.shares'], ['cpu', 'cpu.cfs_quota_us'], ['cpu', 'cpu.cfs_period_us'], ['memory', 'memory.limit_in_bytes']] as const) rmSync(join(root, c, 'kubepods/burstable/podu', f));
    removePodCgroup('/kubepods/burstable/podu', root);
    for (const c of ['cpu', 'cpuacct', 'memory', 'pids']) assert.equal(existsSync(join(root, c, 'kubepods/burstable/podu')), false);
    // The QoS parent stays for the other pods.
    assert.equal(existsSync(join(root, 'memory', 'kubepods/burstable')), true);
    assert.throws(() => applyPodCgroup('/kubepods/../etc', undefined, root), /not an absolute path below the root/);
  });
});
