/**
 * From a pod spec to what the runtime enforces: the pod's QoS class, its cgroup parent, the pod-level and
 * per-container cgroup settings, and each container's Linux security context — the arithmetic upstream's kubelet
 * does in its container manager and `kuberuntime` (cpu shares from requests, CFS quota from limits, memory limit,
 * oom_score_adj by QoS). Pure functions; the kubelet feeds their results to the RuntimeService.
 *
 * One deliberate difference: Guaranteed pods get oom_score_adj 0, not upstream's -997. The machines this runs on
 * refuse negative values (no CAP_SYS_RESOURCE), and 0 still ranks Guaranteed containers below every Burstable (≥ 2)
 * and BestEffort (1000) one when the kernel picks an OOM victim. The agent itself also stays at 0 — it is never
 * preferred over any pod, and among equal scores the kernel picks the biggest RSS, which a pod near its node's
 * memory is far more likely to be than the agent.
 */
import { parseQuantity } from '../../api/validation/quantity.js';
import type { LinuxContainerResources, LinuxContainerSecurityContext } from '../cri/runtime-service.js';

/** QOSClass is a pod's quality of service class (status.qosClass). */
export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** ResourceList is requests or limits: resource name → quantity. */
export type ResourceList = Readonly<Record<string, string | number | undefined>>;

interface Capabilities {
  add?: string[];
  drop?: string[];
}

/** ContainerSecurityContext is a container's `securityContext` (the Linux, numeric parts). */
export interface ContainerSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: Capabilities;
}

/** PodSecurityContext is the pod's `securityContext`: defaults for its containers plus the group settings. */
export interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  supplementalGroups?: number[];
  fsGroup?: number;
}

/** ResourceContainer is the part of a container spec this file reads. */
export interface ResourceContainer {
  name: string;
  resources?: { requests?: ResourceList; limits?: ResourceList };
  securityContext?: ContainerSecurityContext;
}

/** ResourcePod is the part of a pod this file reads. */
export interface ResourcePod {
  metadata?: { uid?: string };
  spec?: { containers?: ResourceContainer[]; initContainers?: ResourceContainer[]; ephemeralContainers?: ResourceContainer[]; securityContext?: PodSecurityContext };
  status?: { qosClass?: string };
}

/** Upstream's constants (pkg/kubelet/cm and pkg/kubelet/qos). */
export const MIN_SHARES = 2;
export const SHARES_PER_CPU = 1024;
export const QUOTA_PERIOD_US = 100_000;
export const MIN_QUOTA_PERIOD_US = 1_000;
const GUARANTEED_OOM_SCORE_ADJ = -997;
const BESTEFFORT_OOM_SCORE_ADJ = 1000;

function milliCPU(list: ResourceList | undefined): number {
  const v = parseQuantity(list?.['cpu']);
  return v === undefined ? 0 : Math.ceil(v * 1000);
}

function bytes(list: ResourceList | undefined, name: string): number {
  const v = parseQuantity(list?.[name]);
  return v === undefined ? 0 : Math.ceil(v);
}

/** podQOSClass classifies a pod the way the API server does; status.qosClass wins when the pod has one. */
export function podQOSClass(pod: ResourcePod): QOSClass {
  const given = pod.status?.qosClass;
  if (given === 'Guaranteed' || given === 'Burstable' || given === 'BestEffort') return given;
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    for (const r of ['cpu', 'memory']) {
      const req = parseQuantity(c.resources?.requests?.[r]);
      const lim = parseQuantity(c.resources?.limits?.[r]);
      if ((req ?? 0) !== 0 || (lim ?? 0) !== 0) any = true;
      if (lim === undefined || lim === 0) guaranteed = false;
      else if (req !== undefined && req !== lim) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** podCgroupParent is the pod's cgroup: `/kubepods/pod<uid>` (Guaranteed) or `/kubepods/<qos>/pod<uid>`. */
export function podCgroupParent(pod: ResourcePod): string {
  const uid = pod.metadata?.uid ?? '';
  const qos = podQOSClass(pod);
  return qos === 'Guaranteed' ? `/kubepods/pod${uid}` : `/kubepods/${qos.toLowerCase()}/pod${uid}`;
}

/** milliCPUToShares: cpu.shares for a request in millicores (at least 2). */
export function milliCPUToShares(milli: number): number {
  if (milli === 0) return MIN_SHARES;
  return Math.max(MIN_SHARES, Math.floor((milli * SHARES_PER_CPU) / 1000));
}

/** milliCPUToQuota: cfs_quota_us for a limit in millicores over `period` (0 = no quota; at least 1000 µs). */
export function milliCPUToQuota(milli: number, period = QUOTA_PERIOD_US): number {
  if (milli === 0) return 0;
  return Math.max(MIN_QUOTA_PERIOD_US, Math.floor((milli * period) / 1000));
}

/**
 * oomScoreAdj for a container of a pod of class `qos`. Burstable: `1000 - 1000*memoryRequest/capacity`, kept in
 * [2, 999] so it stays above Guaranteed and below BestEffort. Guaranteed is clamped to 0 (see the file comment).
 */
export function oomScoreAdj(qos: QOSClass, memoryRequestBytes: number, memoryCapacityBytes: number): number {
  if (qos === 'Guaranteed') return Math.max(0, GUARANTEED_OOM_SCORE_ADJ);
  if (qos === 'BestEffort') return BESTEFFORT_OOM_SCORE_ADJ;
  const adj = memoryCapacityBytes > 0 ? 1000 - Math.floor((1000 * memoryRequestBytes) / memoryCapacityBytes) : 999;
  return Math.min(999, Math.max(2, adj));
}

/** containerResources are the cgroup settings of one container of `pod` on a node with `memoryCapacityBytes`. */
export function containerResources(pod: ResourcePod, container: ResourceContainer, memoryCapacityBytes: number): LinuxContainerResources {
  const requests = container.resources?.requests;
  const limits = container.resources?.limits;
  // Requests default to limits (API defaulting does this too; done here for pods written before it existed).
  const cpuRequest = milliCPU(requests) || milliCPU(limits);
  const cpuLimit = milliCPU(limits);
  const memoryLimit = bytes(limits, 'memory');
  const memoryRequest = bytes(requests, 'memory') || memoryLimit;
  const quota = milliCPUToQuota(cpuLimit);
  return {
    cpuShares: milliCPUToShares(cpuRequest),
    ...(quota > 0 ? { cpuQuota: quota, cpuPeriod: QUOTA_PERIOD_US } : {}),
    ...(memoryLimit > 0 ? { memoryLimitInBytes: memoryLimit } : {}),
    oomScoreAdj: oomScoreAdj(podQOSClass(pod), memoryRequest, memoryCapacityBytes),
  };
}

/**
 * podResources are the pod cgroup's settings: shares from the summed requests; a CFS quota and a memory limit only
 * when every container has that limit (one unlimited container leaves the pod unlimited), as upstream. Init
 * containers run one at a time, so the pod needs the larger of their largest value and the app containers' sum.
 */
export function podResources(pod: ResourcePod): LinuxContainerResources {
  const apps = pod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  if (podQOSClass(pod) === 'BestEffort') return { cpuShares: MIN_SHARES };
  const total = (pick: (c: ResourceContainer) => number): number => Math.max(apps.reduce((s, c) => s + pick(c), 0), ...inits.map(pick), 0);
  const all = (pick: (c: ResourceContainer) => number): boolean => [...apps, ...inits].every((c) => pick(c) > 0);
  const cpuReq = total((c) => milliCPU(c.resources?.requests) || milliCPU(c.resources?.limits));
  const cpuLim = (c: ResourceContainer): number => milliCPU(c.resources?.limits);
  const memLim = (c: ResourceContainer): number => bytes(c.resources?.limits, 'memory');
  const quota = all(cpuLim) ? milliCPUToQuota(total(cpuLim)) : 0;
  const memory = all(memLim) ? total(memLim) : 0;
  return {
    cpuShares: milliCPUToShares(cpuReq),
    ...(quota > 0 ? { cpuQuota: quota, cpuPeriod: QUOTA_PERIOD_US } : {}),
    ...(memory > 0 ? { memoryLimitInBytes: memory } : {}),
  };
}

/** memoryRequestBytes is the sum of the pod's app containers' memory requests (eviction ranking). */
export function podMemoryRequestBytes(pod: ResourcePod): number {
  return (pod.spec?.containers ?? []).reduce((s, c) => s + (bytes(c.resources?.requests, 'memory') || bytes(c.resources?.limits, 'memory')), 0);
}

/** SecurityContextError says a container may not run as configured (CreateContainerConfigError). */
export class SecurityContextError extends Error {
  override readonly name = 'SecurityContextError';
}

/**
 * containerSecurityContext merges the pod's securityContext into the container's (the container's fields win) and
 * maps it to the runtime's: fsGroup joins the supplemental groups, allowPrivilegeEscalation=false sets no-new-privs
 * (privileged containers never get it), capabilities pass through. runAsNonRoot with an explicit uid 0 is refused
 * here; with no uid given the runtime checks the image's user.
 */
export function containerSecurityContext(pod: ResourcePod, container: ResourceContainer): LinuxContainerSecurityContext {
  const p = pod.spec?.securityContext ?? {};
  const c = container.securityContext ?? {};
  const runAsUser = c.runAsUser ?? p.runAsUser;
  const runAsGroup = c.runAsGroup ?? p.runAsGroup;
  const runAsNonRoot = c.runAsNonRoot ?? p.runAsNonRoot;
  if (runAsNonRoot === true && runAsUser === 0) {
    throw new SecurityContextError(`container's runAsUser breaks non-root policy (container: ${container.name})`);
  }
  const groups = [...(p.supplementalGroups ?? []), ...(p.fsGroup !== undefined ? [p.fsGroup] : [])];
  const privileged = c.privileged === true;
  return {
    ...(runAsUser !== undefined ? { runAsUser } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup } : {}),
    ...(groups.length > 0 ? { supplementalGroups: [...new Set(groups)] } : {}),
    ...(privileged ? { privileged } : {}),
    ...(c.readOnlyRootFilesystem === true ? { readonlyRootfs: true } : {}),
    ...(!privileged && c.allowPrivilegeEscalation === false ? { noNewPrivs: true } : {}),
    ...(c.capabilities ? { capabilities: { add: c.capabilities.add ?? [], drop: c.capabilities.drop ?? [] } } : {}),
    ...(runAsNonRoot === true ? { runAsNonRoot: true } : {}),
  };
}
