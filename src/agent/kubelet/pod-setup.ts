/**
 * PodSetup: what the kubelet prepares for a pod besides its sandbox and images — volumes (VolumeManager), each
 * container's environment (container-env.ts), bind mounts (container-mounts.ts), `$(VAR)`-expanded command and
 * args, the pod's /etc/hosts, and the sandbox's host name and resolv.conf (pod-dns.ts). Failures come back as
 * values with the reason the kubelet shows (FailedMount → the pod waits in ContainerCreating;
 * CreateContainerConfigError for env and mounts) and are recorded as pod events, at most once per 30 s each.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../api/meta/types.js';
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { RestClient } from '../../client/rest-client.js';
import type { DNSConfig, KeyValue, Mount } from '../cri/runtime-service.js';
import type { NodeAllocatable } from '../downward/field-ref.js';
import { ApiObjectSource, type ObjectSource, type ServiceLister } from '../object-source.js';
import type { Container, PodView } from '../pod-spec.js';
import { containerMounts } from '../volumes/container-mounts.js';
import type { Mounter } from '../volumes/mounter.js';
import { VolumeManager } from '../volumes/volume-manager.js';
import { buildContainerEnv, expandCommand } from './container-env.js';
import { hostsFile } from './etc-hosts.js';
import type { ServiceAddressResolver } from './service-env.js';
import { parseResolvConf, podDNSConfig, podHostname, type HostResolvConf } from './pod-dns.js';

const EVENT_REPEAT_MS = 30_000;

/** PodSetupConfig constructs a PodSetup. */
export interface PodSetupConfig {
  readonly client: RestClient;
  readonly rootDir: string;
  /** Where the pod files that die with the pod go (VolumeManagerConfig.volatileDir). @default rootDir */
  readonly volatileDir?: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly clusterDNS: string;
  readonly clusterDomain: string;
  /** The kubelet's recorder (one per component), for FailedMount and similar warnings. */
  readonly events: EventRecorder;
  /** For tests: where objects come from (default: the API through `client`). */
  readonly source?: ObjectSource;
  /** Where the default source reads Services once synced (the kubelet's informer); else it LISTs them. */
  readonly serviceLister?: ServiceLister;
  readonly mounter?: Mounter;
  /** @default /etc/resolv.conf's contents */
  readonly hostResolvConf?: HostResolvConf;
  readonly refreshMs?: number;
  /** Where pods reach Services when not at their cluster IPs (process runtime + userspace proxy). */
  readonly serviceAddresses?: ServiceAddressResolver;
}

/** PreparedContainer is what createContainer needs beyond the image. */
export interface PreparedContainer {
  readonly command: string[];
  readonly args: string[];
  readonly envs: KeyValue[];
  readonly mounts: Mount[];
}

export type Prepared<T> = { readonly ok: T; readonly error?: undefined } | { readonly error: string; readonly ok?: undefined };

/** PodSetup: see the file comment. */
export class PodSetup {
  readonly #c: PodSetupConfig;
  readonly #source: ObjectSource;
  readonly #volumes: VolumeManager;
  readonly #events: EventRecorder;
  readonly #node: NodeAllocatable = { cpu: cpus().length, memory: totalmem() };
  readonly #host: HostResolvConf;
  readonly #recorded = new Map<string, number>();

  constructor(config: PodSetupConfig) {
    this.#c = config;
    this.#source = config.source ?? new ApiObjectSource(config.client, () => config.clock.now(), config.serviceLister);
    this.#volumes = new VolumeManager({
      rootDir: config.rootDir,
      ...(config.volatileDir !== undefined ? { volatileDir: config.volatileDir } : {}),
      source: this.#source,
      clock: config.clock,
      node: this.#node,
      ...(config.mounter ? { mounter: config.mounter } : {}),
      ...(config.refreshMs !== undefined ? { refreshMs: config.refreshMs } : {}),
    });
    this.#events = config.events;
    this.#host = config.hostResolvConf ?? parseResolvConf(readText('/etc/resolv.conf'));
  }

  /** sandbox gives the sandbox's host name and DNS configuration. */
  sandbox(pod: PodView): { hostname: string; dnsConfig: DNSConfig } {
    return {
      hostname: podHostname(pod, this.#c.clusterDomain).hostname,
      dnsConfig: podDNSConfig(pod, { clusterDNS: this.#c.clusterDNS, clusterDomain: this.#c.clusterDomain, host: this.#host }),
    };
  }

  /** volumes sets up (or refreshes) the pod's volumes; an error means the containers must wait. */
  async volumes(pod: PodView): Promise<Prepared<true>> {
    const r = await this.#volumes.setUp(pod);
    if (r.error !== undefined) {
      this.#record(pod, 'FailedMount', r.error);
      return { error: r.error };
    }
    for (const w of r.warnings) this.#record(pod, 'FailedMount', w);
    return { ok: true };
  }

  /**
   * container prepares one container of a pod whose volumes are set up: env, mounts (with /etc/hosts),
   * expanded command and args. `podIPs` are the sandbox's (the node's for hostNetwork).
   */
  async container(pod: PodView, container: Container & { command?: string[]; args?: string[] }, podIPs: readonly string[], hostIP: string): Promise<Prepared<PreparedContainer>> {
    // The pod object may not carry its IPs yet (the status is written after the first start).
    const view: PodView = {
      ...pod,
      status: { ...(pod.status ?? {}), podIP: podIPs[0] ?? '', podIPs: podIPs.map((ip) => ({ ip })), hostIP, hostIPs: [{ ip: hostIP }] },
    };
    const env = await buildContainerEnv(view, container, this.#source, this.#node, this.#c.serviceAddresses);
    if (env.error !== undefined) {
      this.#record(pod, 'Failed', `Error: ${env.error}`);
      return { error: env.error };
    }
    for (const w of env.warnings) this.#record(pod, 'InvalidEnvironmentVariableNames', w);
    const set = await this.#volumes.setUp(pod);
    if (set.error !== undefined) return { error: set.error };
    const mounts = containerMounts(container, set.volumes, env.envs);
    if (mounts.error !== undefined) {
      this.#record(pod, 'Failed', `Error: ${mounts.error}`);
      return { error: mounts.error };
    }
    const hosts = this.#writeHosts(pod, podIPs);
    // A container that mounts its own /etc/hosts keeps it.
    const own = mounts.mounts.some((m) => m.containerPath === '/etc/hosts');
    return {
      ok: {
        command: expandCommand(container.command ?? [], env.envs),
        args: expandCommand(container.args ?? [], env.envs),
        envs: env.envs,
        mounts: own ? mounts.mounts : [...mounts.mounts, { containerPath: '/etc/hosts', hostPath: hosts }],
      },
    };
  }

  /**
   * containerFilesDir is where the pod's per-container host files go (the termination-message files), removed by
   * tearDown with the pod's other files.
   */
  containerFilesDir(uid: string): string {
    return join(this.#volumes.volatilePodDir(uid), 'containers');
  }

  /** tearDown removes the pod's volumes and files (after its containers are gone). */
  async tearDown(uid: string): Promise<void> {
    for (const k of this.#recorded.keys()) if (k.startsWith(`${uid}\u0000`)) this.#recorded.delete(k);
    await this.#volumes.tearDown(uid);
  }

  /** tearDownOrphans removes what is left of pods this node no longer has. */
  tearDownOrphans(active: ReadonlySet<string>): Promise<void> {
    return this.#volumes.tearDownOrphans(active);
  }

  #writeHosts(pod: PodView, podIPs: readonly string[]): string {
    const dir = this.#volumes.volatilePodDir(pod.metadata?.uid ?? '');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'etc-hosts');
    const text = hostsFile(pod, podIPs, podHostname(pod, this.#c.clusterDomain), pod.spec?.hostNetwork ? readText('/etc/hosts') : '');
    if (readText(file) !== text) writeFileSync(file, text);
    return file;
  }

  #record(pod: KubeObject, reason: string, message: string): void {
    const key = `${pod.metadata?.uid ?? ''}\u0000${reason}\u0000${message}`;
    const now = this.#c.clock.now();
    const last = this.#recorded.get(key);
    if (last !== undefined && now - last < EVENT_REPEAT_MS) return;
    this.#recorded.set(key, now);
    void this.#events.record(pod, 'Warning', reason, message);
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
