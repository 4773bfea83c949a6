/**
 * The OCI runtime spec (`config.json`) runc runs a container from, built from a CRI ContainerConfig and the image's
 * config, with the defaults containerd's CRI plugin uses: its capability set, masked and read-only /proc paths,
 * the standard /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue and read-only /sys mounts, no new privileges unless
 * allowed, and `oomScoreAdj` never below 0 (these machines refuse negative values). Unlike containerd, no
 * RLIMIT_NOFILE is set: root here lacks CAP_SYS_RESOURCE, and no seccomp profile is installed yet (so privileged
 * has none to drop). Privileged: every capability, every device allowed by the device cgroup, /sys writable, no
 * masked or read-only /proc paths (host device nodes are not bind-mounted into /dev yet).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerConfig, Mount } from '../../cri/runtime-service.js';
import type { ImageConfig } from '../../images/image-store.js';

/** DEFAULT_CAPABILITIES is containerd's default set for containers. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const ALL_CAPABILITIES = [
  ...DEFAULT_CAPABILITIES, 'CAP_DAC_READ_SEARCH', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_LEASE', 'CAP_AUDIT_CONTROL', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN',
  'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
];

const MASKED_PATHS = ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** OciSpecInput is what a container's spec is made from. */
export interface OciSpecInput {
  readonly config: ContainerConfig;
  readonly image: ImageConfig;
  /** The container's root filesystem (the overlay mount point). */
  readonly rootfs: string;
  readonly hostname: string;
  /** The sandbox's network namespace; undefined for host networking. */
  readonly netnsPath: string | undefined;
  /** Files every container of the pod shares: /etc/hosts, /etc/resolv.conf, /etc/hostname. */
  readonly etcMounts: readonly Mount[];
  readonly cgroupsPath: string;
}

function capName(c: string): string {
  const upper = c.toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** resolveUser turns the image's user (`uid`, `uid:gid`, `name`, `name:group`) into ids, reading the rootfs's files. */
export function resolveUser(spec: string, rootfs: string): { uid: number; gid: number } {
  if (spec === '') return { uid: 0, gid: 0 };
  const [user = '', group] = spec.split(':');
  const lookup = (file: string, name: string): string[] | undefined => {
    try {
      return readFileSync(join(rootfs, 'etc', file), 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === name);
    } catch {
      return undefined;
    }
  };
  let uid = Number(user);
  let gid = 0;
  if (!/^\d+$/.test(user)) {
    const entry = lookup('passwd', user);
    if (!entry) throw new Error(`Cannot resolve user "${user}": not in the image's /etc/passwd`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  } else {
    const entry = readFileSafe(join(rootfs, 'etc', 'passwd')).split('\n').map((l) => l.split(':')).find((f) => f[2] === user);
    if (entry) gid = Number(entry[3]);
  }
  if (group !== undefined) {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const entry = lookup('group', group);
      if (!entry) throw new Error(`Cannot resolve group "${group}": not in the image's /etc/group`);
      gid = Number(entry[2]);
    }
  }
  return { uid, gid };
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** ociSpec builds config.json for one container. */
export function ociSpec(input: OciSpecInput): Record<string, unknown> {
  const { config, image } = input;
  const sc = config.linux?.securityContext ?? {};
  const resources = config.linux?.resources ?? {};
  const privileged = sc.privileged === true;
  const args = [...(config.command.length > 0 ? config.command : image.entrypoint), ...(config.command.length > 0 || config.args.length > 0 ? config.args : image.cmd)];
  if (args.length === 0) throw new Error(`Cannot create container ${config.metadata.name}: no command (the image has neither entrypoint nor cmd)`);
  const env = new Map<string, string>();
  for (const e of image.env) {
    const i = e.indexOf('=');
    if (i > 0) env.set(e.slice(0, i), e.slice(i + 1));
  }
  if (!env.has('PATH')) env.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  env.set('HOSTNAME', input.hostname);
  for (const e of config.envs) env.set(e.key, e.value);
  let { uid, gid } = resolveUser(image.user, input.rootfs);
  if (sc.runAsUser !== undefined) uid = sc.runAsUser;
  if (sc.runAsGroup !== undefined) gid = sc.runAsGroup;
  if (sc.runAsNonRoot === true && uid === 0) {
    throw new Error(`Cannot create container ${config.metadata.name}: container has runAsNonRoot and image will run as root`);
  }
  let caps = privileged ? ALL_CAPABILITIES : [...DEFAULT_CAPABILITIES];
  if (!privileged && sc.capabilities) {
    const drop = sc.capabilities.drop.map(capName);
    caps = drop.includes('CAP_ALL') ? [] : caps.filter((c) => !drop.includes(c));
    for (const add of sc.capabilities.add.map(capName)) {
      if (add === 'CAP_ALL') caps = [...ALL_CAPABILITIES];
      else if (!caps.includes(add)) caps.push(add);
    }
  }
  const mounts: Record<string, unknown>[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
  ];
  for (const m of [...input.etcMounts, ...config.mounts]) {
    mounts.push({ destination: m.containerPath, type: 'bind', source: m.hostPath, options: ['rbind', m.propagation === 'rshared' ? 'rshared' : m.propagation === 'rslave' ? 'rslave' : 'rprivate', m.readonly ? 'ro' : 'rw'] });
  }
  const namespaces: Record<string, string>[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (input.netnsPath) namespaces.push({ type: 'network', path: input.netnsPath });
  const linuxResources: Record<string, unknown> = {};
  if (resources.memoryLimitInBytes) linuxResources['memory'] = { limit: resources.memoryLimitInBytes };
  if (resources.cpuShares || resources.cpuQuota) {
    linuxResources['cpu'] = {
      ...(resources.cpuShares ? { shares: resources.cpuShares } : {}),
      ...(resources.cpuQuota ? { quota: resources.cpuQuota, period: resources.cpuPeriod ?? 100_000 } : {}),
    };
  }
  if (resources.pidsLimit) linuxResources['pids'] = { limit: resources.pidsLimit };
  // Privileged containers may use every device (runc otherwise allows only its default set: null, zero, tty, …).
  if (privileged) linuxResources['devices'] = [{ allow: true, access: 'rwm' }];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: config.tty === true,
      user: { uid, gid, additionalGids: [...(sc.supplementalGroups ?? [])] },
      args,
      env: [...env].map(([k, v]) => `${k}=${v}`),
      cwd: config.workingDir || image.workingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      // No rlimits: raising RLIMIT_NOFILE needs CAP_SYS_RESOURCE, which root lacks on these machines; containers
      // inherit the shim's limits.
      noNewPrivileges: privileged ? false : sc.noNewPrivs === true,
      oomScoreAdj: Math.max(0, resources.oomScoreAdj ?? 0),
    },
    root: { path: input.rootfs, readonly: sc.readonlyRootfs === true },
    hostname: input.hostname,
    mounts,
    linux: {
      namespaces,
      cgroupsPath: input.cgroupsPath,
      resources: linuxResources,
      ...(privileged ? {} : { maskedPaths: MASKED_PATHS, readonlyPaths: READONLY_PATHS }),
    },
  };
}
