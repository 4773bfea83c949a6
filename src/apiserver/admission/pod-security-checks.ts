/**
 * The Pod Security Standards checks (baseline and restricted), as pure functions of a pod's metadata and spec.
 * Each check has upstream's ID, level, and forbidden reason; a failing check explains itself in upstream's words
 * (`container "c" must not set securityContext.privileged=true`). Evaluation order is upstream's: baseline checks
 * sorted by ID, then restricted checks sorted by ID; a restricted check replaces the baseline check it overrides.
 */
import { asRecord, asRecords, CONTAINER_FIELDS, type JsonRecord } from './pod-containers.js';

/** PodSecurityLevel is a Pod Security Standards level. */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** CheckResult is one failed check: upstream's forbidden reason and detail. */
export interface CheckResult {
  readonly reason: string;
  readonly detail: string;
}

interface Check {
  readonly id: string;
  readonly level: 'baseline' | 'restricted';
  readonly overrides?: string;
  run(meta: JsonRecord, spec: JsonRecord): CheckResult | undefined;
}

interface NamedContainer {
  readonly name: string;
  readonly sc: JsonRecord;
  readonly c: JsonRecord;
}

function containersOf(spec: JsonRecord): NamedContainer[] {
  return CONTAINER_FIELDS.flatMap((f) => asRecords(spec[f])).map((c) => ({ name: String(c['name'] ?? ''), sc: asRecord(c['securityContext']), c }));
}

function quoted(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(', ');
}

/** `container "a"` / `containers "a", "b"`. */
function containersPhrase(names: readonly string[]): string {
  return `${names.length === 1 ? 'container' : 'containers'} ${quoted(names)}`;
}

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
]);
const RESTRICTED_VOLUME_SOURCES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

const CHECKS: readonly Check[] = [
  {
    id: 'appArmorProfile',
    level: 'baseline',
    run(meta, spec) {
      const bad: string[] = [];
      const allowed = (t: unknown): boolean => t === undefined || t === 'RuntimeDefault' || t === 'Localhost';
      if (!allowed(asRecord(asRecord(spec['securityContext'])['appArmorProfile'])['type'])) bad.push(`pod`);
      for (const c of containersOf(spec)) if (!allowed(asRecord(c.sc['appArmorProfile'])['type'])) bad.push(`container ${JSON.stringify(c.name)}`);
      for (const [k, v] of Object.entries(asRecord(meta['annotations']))) {
        if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && v !== 'runtime/default' && typeof v === 'string' && !v.startsWith('localhost/')) {
          bad.push(`${k}=${JSON.stringify(v)}`);
        }
      }
      return bad.length > 0 ? { reason: 'forbidden AppArmor profiles', detail: bad.join(', ') } : undefined;
    },
  },
  {
    id: 'capabilities_baseline',
    level: 'baseline',
    run(_meta, spec) {
      const bad: string[] = [];
      const caps = new Set<string>();
      for (const c of containersOf(spec)) {
        const added = (asRecord(c.sc['capabilities'])['add'] as unknown[] | undefined) ?? [];
        const forbidden = added.filter((x) => typeof x === 'string' && !BASELINE_CAPABILITIES.has(x)) as string[];
        if (forbidden.length > 0) {
          bad.push(c.name);
          for (const f of forbidden) caps.add(f);
        }
      }
      return bad.length > 0 ? { reason: 'non-default capabilities', detail: `${containersPhrase(bad)} must not include ${quoted([...caps].sort())} in securityContext.capabilities.add` } : undefined;
    },
  },
  {
    id: 'hostNamespaces',
    level: 'baseline',
    run(_meta, spec) {
      const set = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((k) => spec[k] === true).map((k) => `${k}=true`);
      return set.length > 0 ? { reason: 'host namespaces', detail: set.join(', ') } : undefined;
    },
  },
  {
    id: 'hostPathVolumes',
    level: 'baseline',
    run(_meta, spec) {
      const bad = asRecords(spec['volumes']).filter((v) => v['hostPath'] !== undefined).map((v) => String(v['name'] ?? ''));
      return bad.length > 0 ? { reason: 'hostPath volumes', detail: `${bad.length === 1 ? 'volume' : 'volumes'} ${quoted(bad)}` } : undefined;
    },
  },
  {
    id: 'hostPorts',
    level: 'baseline',
    run(_meta, spec) {
      const names: string[] = [];
      const ports: string[] = [];
      for (const c of containersOf(spec)) {
        const used = asRecords(c.c['ports']).map((p) => p['hostPort']).filter((p) => typeof p === 'number' && p !== 0).map(String);
        if (used.length > 0) {
          names.push(c.name);
          ports.push(...used);
        }
      }
      if (names.length === 0) return undefined;
      const verb = names.length === 1 ? 'uses' : 'use';
      return { reason: 'hostPort', detail: `${containersPhrase(names)} ${verb} ${ports.length === 1 ? 'hostPort' : 'hostPorts'} ${ports.join(', ')}` };
    },
  },
  {
    id: 'privileged',
    level: 'baseline',
    run(_meta, spec) {
      const bad = containersOf(spec).filter((c) => c.sc['privileged'] === true).map((c) => c.name);
      return bad.length > 0 ? { reason: 'privileged', detail: `${containersPhrase(bad)} must not set securityContext.privileged=true` } : undefined;
    },
  },
  {
    id: 'procMount',
    level: 'baseline',
    run(_meta, spec) {
      const bad = containersOf(spec).filter((c) => c.sc['procMount'] !== undefined && c.sc['procMount'] !== 'Default').map((c) => c.name);
      return bad.length > 0 ? { reason: 'procMount', detail: `${containersPhrase(bad)} must not set securityContext.procMount to "Unmasked"` } : undefined;
    },
  },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    run(_meta, spec) {
      const bad = (o: JsonRecord): boolean => !SELINUX_TYPES.has(String(o['type'] ?? '')) || o['user'] !== undefined || o['role'] !== undefined;
      const who: string[] = [];
      if (bad(asRecord(asRecord(spec['securityContext'])['seLinuxOptions']))) who.push('pod');
      const names = containersOf(spec).filter((c) => bad(asRecord(c.sc['seLinuxOptions']))).map((c) => c.name);
      if (names.length > 0) who.push(containersPhrase(names));
      return who.length > 0 ? { reason: 'seLinuxOptions', detail: `${who.join(' and ')} set forbidden securityContext.seLinuxOptions` } : undefined;
    },
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    run(_meta, spec) {
      const who: string[] = [];
      if (asRecord(asRecord(spec['securityContext'])['seccompProfile'])['type'] === 'Unconfined') who.push('pod');
      const names = containersOf(spec).filter((c) => asRecord(c.sc['seccompProfile'])['type'] === 'Unconfined').map((c) => c.name);
      if (names.length > 0) who.push(containersPhrase(names));
      return who.length > 0 ? { reason: 'seccompProfile', detail: `${who.join(' and ')} must not set securityContext.seccompProfile.type to "Unconfined"` } : undefined;
    },
  },
  {
    id: 'sysctls',
    level: 'baseline',
    run(_meta, spec) {
      const bad = asRecords(asRecord(spec['securityContext'])['sysctls']).map((s) => String(s['name'] ?? '')).filter((n) => !SAFE_SYSCTLS.has(n));
      return bad.length > 0 ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : undefined;
    },
  },
  {
    id: 'windowsHostProcess',
    level: 'baseline',
    run(_meta, spec) {
      const podLevel = asRecord(asRecord(spec['securityContext'])['windowsOptions'])['hostProcess'] === true;
      const names = containersOf(spec).filter((c) => asRecord(c.sc['windowsOptions'])['hostProcess'] === true).map((c) => c.name);
      if (!podLevel && names.length === 0) return undefined;
      const who = [podLevel ? 'pod' : '', names.length > 0 ? containersPhrase(names) : ''].filter((s) => s !== '');
      return { reason: 'hostProcess', detail: `${who.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` };
    },
  },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    run(_meta, spec) {
      const bad = containersOf(spec).filter((c) => c.sc['allowPrivilegeEscalation'] !== false).map((c) => c.name);
      return bad.length > 0 ? { reason: 'allowPrivilegeEscalation != false', detail: `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false` } : undefined;
    },
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    overrides: 'capabilities_baseline',
    run(_meta, spec) {
      const noDrop: string[] = [];
      const badAdd: string[] = [];
      const caps = new Set<string>();
      for (const c of containersOf(spec)) {
        const capabilities = asRecord(c.sc['capabilities']);
        const drop = Array.isArray(capabilities['drop']) ? (capabilities['drop'] as unknown[]) : [];
        if (!drop.includes('ALL')) noDrop.push(c.name);
        const add = Array.isArray(capabilities['add']) ? (capabilities['add'] as unknown[]) : [];
        const forbidden = add.filter((x): x is string => typeof x === 'string' && x !== 'NET_BIND_SERVICE');
        if (forbidden.length > 0) {
          badAdd.push(c.name);
          for (const f of forbidden) caps.add(f);
        }
      }
      const details: string[] = [];
      if (noDrop.length > 0) details.push(`${containersPhrase(noDrop)} must set securityContext.capabilities.drop=["ALL"]`);
      if (badAdd.length > 0) details.push(`${containersPhrase(badAdd)} must not include ${quoted([...caps].sort())} in securityContext.capabilities.add`);
      return details.length > 0 ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
    },
  },
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    run(_meta, spec) {
      const bad: string[] = [];
      const types = new Set<string>();
      for (const v of asRecords(spec['volumes'])) {
        const source = Object.keys(v).find((k) => k !== 'name');
        if (source !== undefined && !RESTRICTED_VOLUME_SOURCES.has(source)) {
          bad.push(String(v['name'] ?? ''));
          types.add(source);
        }
      }
      if (bad.length === 0) return undefined;
      const typeList = [...types].sort();
      return {
        reason: 'restricted volume types',
        detail: `${bad.length === 1 ? 'volume' : 'volumes'} ${quoted(bad)} ${bad.length === 1 ? 'uses' : 'use'} restricted volume ${typeList.length === 1 ? 'type' : 'types'} ${quoted(typeList)}`,
      };
    },
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    run(_meta, spec) {
      const podValue = asRecord(spec['securityContext'])['runAsNonRoot'];
      const explicitFalse = containersOf(spec).filter((c) => c.sc['runAsNonRoot'] === false).map((c) => c.name);
      const unset = containersOf(spec).filter((c) => c.sc['runAsNonRoot'] === undefined && podValue !== true).map((c) => c.name);
      const details: string[] = [];
      if (podValue === false) details.push('pod must not set securityContext.runAsNonRoot=false');
      if (explicitFalse.length > 0) details.push(`${containersPhrase(explicitFalse)} must not set securityContext.runAsNonRoot=false`);
      if (unset.length > 0 && podValue !== false) details.push(`pod or ${containersPhrase(unset)} must set securityContext.runAsNonRoot=true`);
      return details.length > 0 ? { reason: 'runAsNonRoot != true', detail: details.join('; ') } : undefined;
    },
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    run(_meta, spec) {
      const who: string[] = [];
      if (asRecord(spec['securityContext'])['runAsUser'] === 0) who.push('pod');
      const names = containersOf(spec).filter((c) => c.sc['runAsUser'] === 0).map((c) => c.name);
      if (names.length > 0) who.push(containersPhrase(names));
      return who.length > 0 ? { reason: 'runAsUser=0', detail: `${who.join(' and ')} must not set runAsUser=0` } : undefined;
    },
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    overrides: 'seccompProfile_baseline',
    run(_meta, spec) {
      const ok = (t: unknown): boolean => t === 'RuntimeDefault' || t === 'Localhost';
      const podType = asRecord(asRecord(spec['securityContext'])['seccompProfile'])['type'];
      const details: string[] = [];
      if (podType !== undefined && !ok(podType)) details.push(`pod must not set securityContext.seccompProfile.type to ${JSON.stringify(podType)}`);
      const bad = containersOf(spec).filter((c) => {
        const t = asRecord(c.sc['seccompProfile'])['type'];
        return t !== undefined && !ok(t);
      });
      if (bad.length > 0) {
        const t = asRecord(bad[0]?.sc['seccompProfile'])['type'];
        details.push(`${containersPhrase(bad.map((c) => c.name))} must not set securityContext.seccompProfile.type to ${JSON.stringify(t)}`);
      }
      if (!ok(podType)) {
        const unset = containersOf(spec).filter((c) => asRecord(c.sc['seccompProfile'])['type'] === undefined).map((c) => c.name);
        if (unset.length > 0) details.push(`pod or ${containersPhrase(unset)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`);
      }
      return details.length > 0 ? { reason: 'seccompProfile', detail: details.join('; ') } : undefined;
    },
  },
];

/** Baseline checks by ID, then restricted checks by ID: the order of reasons in messages. */
const ORDERED: readonly Check[] = [
  ...CHECKS.filter((c) => c.level === 'baseline').sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  ...CHECKS.filter((c) => c.level === 'restricted').sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
];

/** checkPod returns the failed checks of a pod at a level, in upstream's order. */
export function checkPod(level: PodSecurityLevel, metadata: JsonRecord, spec: JsonRecord): CheckResult[] {
  if (level === 'privileged') return [];
  const active = ORDERED.filter((c) => level === 'restricted' || c.level === 'baseline');
  const overridden = new Set(active.map((c) => c.overrides).filter((o): o is string => o !== undefined));
  return active
    .filter((c) => !overridden.has(c.id))
    .map((c) => c.run(metadata, spec))
    .filter((r): r is CheckResult => r !== undefined);
}

/** formatViolations joins failed checks as upstream does: `reason (detail), reason (detail)`. */
export function formatViolations(results: readonly CheckResult[]): string {
  return results.map((r) => (r.detail === '' ? r.reason : `${r.reason} (${r.detail})`)).join(', ');
}
