/**
 * startNode: a real node in this process — the image store (built-in images added, the air-gap dir imported), a
 * container runtime, and the kubelet — for `tkube server --container-runtime runc|process|auto`. The kubelet is an
 * API client like the other components.
 *
 * Runtimes: `runc` (root, runc and a C compiler for its shim) isolates pods in namespaces and cgroups; `process`
 * runs containers as plain host processes (no root needed, no isolation); `auto` picks runc when the machine has
 * what it needs, else process.
 */
import { accessSync, constants } from 'node:fs';
import { hostname } from 'node:os';
import { delimiter, join } from 'node:path';
import type { RuntimeService } from '../agent/cri/runtime-service.js';
import { Kubelet } from '../agent/kubelet/kubelet.js';
import { ProcessRuntime } from '../agent/runtime/process/process-runtime.js';
import { RuncRuntime } from '../agent/runtime/runc/runc-runtime.js';
import { KubeletServer } from '../agent/server/kubelet-server.js';
import { RealClock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { RestClient } from '../client/rest-client.js';
import { rotationDelayMs } from '../agent/certificate/serving-certificate.js';
import { importAirGapImages, imageStoreRoot, openImageStore } from './images.js';

/** NodeBootConfig describes the node to run. */
export interface NodeBootConfig {
  readonly client: RestClient;
  readonly dataDir: string;
  readonly runtime: NodeRuntimeName;
  readonly nodeName?: string;
  readonly nodeIP: string;
  /**
   * The kubelet's serving certificate (signed by the cluster CA) — issued already, or got once the node name is
   * known (a node in another process asks the certificates API) — and the CA that signs API server client certs.
   */
  readonly tls: { readonly serving: ServingCertificateSource; readonly clientCaPem: string };
  /** @default 10250; 0 picks a free port */
  readonly kubeletPort?: number;
  /** The registries config file for image pulls. @default <data-dir>/registries.yaml when present */
  readonly privateRegistry?: string;
  readonly disableDefaultRegistryEndpoint?: boolean;
  readonly log: Logger;
}

/** A PEM certificate and its key. */
export interface ServingCertificatePems {
  readonly certPem: string;
  readonly keyPem: string;
}

/** ServingCertificateSource is an issued serving certificate, or a function that gets one for the node's name. */
export type ServingCertificateSource = ServingCertificatePems | ((nodeName: string) => Promise<ServingCertificatePems>);

/** NodeRuntimeName is what `--container-runtime` may say. */
export type NodeRuntimeName = 'runc' | 'process' | 'auto';

function onPath(program: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** resolveNodeRuntime turns `auto` into runc (root, runc and cc present) or process. */
export function resolveNodeRuntime(name: NodeRuntimeName): 'runc' | 'process' {
  if (name !== 'auto') return name;
  return process.getuid?.() === 0 && onPath('runc') && onPath('cc') ? 'runc' : 'process';
}

/** RunningNode is a started node. */
export interface RunningNode {
  readonly nodeName: string;
  stop(): Promise<void>;
}

/** Node timers hold at most ~24.8 days; longer waits are re-armed. */
const MAX_TIMER_MS = 2_147_000_000;
const ROTATION_RETRY_MS = 60_000;

/**
 * rotateServingCertificate asks `source` again when the served certificate is due for renewal (see
 * `rotationDelayMs`) and swaps it into the kubelet server; a failed attempt is retried a minute later while the
 * old certificate keeps serving.
 */
function rotateServingCertificate(source: (nodeName: string) => Promise<ServingCertificatePems>, nodeName: string, certPem: string, server: KubeletServer, log: Logger): { stop(): void } {
  const clock = new RealClock();
  let timer: { cancel(): void } | undefined;
  let stopped = false;
  const arm = (ms: number, fn: () => void): void => {
    timer = clock.setTimer(Math.min(ms, MAX_TIMER_MS), () => (ms > MAX_TIMER_MS ? arm(ms - MAX_TIMER_MS, fn) : fn()));
  };
  const schedule = (pem: string): void => {
    arm(rotationDelayMs(pem, clock.now()), () => {
      source(nodeName).then(
        (next) => {
          if (stopped) return;
          server.setServingCertificate(next.certPem, next.keyPem);
          log.info('Rotated kubelet serving certificate');
          schedule(next.certPem);
        },
        (err: unknown) => {
          if (stopped) return;
          log.warn('Cannot rotate kubelet serving certificate; retrying', { err: err instanceof Error ? err.message : String(err) });
          arm(ROTATION_RETRY_MS, () => schedule(pem));
        },
      );
    });
  };
  schedule(certPem);
  return {
    stop: () => {
      stopped = true;
      timer?.cancel();
    },
  };
}

/** startNode registers the node and starts running its pods. */
export async function startNode(config: NodeBootConfig): Promise<RunningNode> {
  const runtimeName = resolveNodeRuntime(config.runtime);
  if (runtimeName === 'runc' && process.getuid?.() !== 0) throw new Error('Cannot run a node with the runc runtime: it needs root (--container-runtime process needs none)');
  const nodeName = (config.nodeName ?? hostname()).toLowerCase();
  // Before anything starts: a node that cannot serve its kubelet API with a trusted certificate does not join.
  const serving = typeof config.tls.serving === 'function' ? await config.tls.serving(nodeName) : config.tls.serving;
  const agentDir = join(config.dataDir, 'agent');
  const storeOptions = { ...(config.privateRegistry ? { privateRegistry: config.privateRegistry } : {}), disableDefaultRegistryEndpoint: config.disableDefaultRegistryEndpoint === true };
  // A machine without busybox-static (typical where the process runtime is used) has no built-in images; the node
  // still starts and runs what was imported or can be pulled.
  const images = await openImageStore(config.dataDir, { prepare: true, ...storeOptions }).catch(async (err: unknown) => {
    config.log.warn('No built-in images: only imported or pulled images can run', { err: err instanceof Error ? err.message : String(err) });
    const store = await openImageStore(config.dataDir, storeOptions);
    await importAirGapImages(store, join(imageStoreRoot(config.dataDir), 'import'));
    return store;
  });
  const runtime: RuntimeService =
    runtimeName === 'runc'
      ? new RuncRuntime({ root: join(agentDir, 'runc'), images, log: config.log.child('runc') })
      : new ProcessRuntime({ root: join(agentDir, 'process'), images, log: config.log.child('process') });
  config.log.info('Container runtime chosen', { runtime: runtimeName, asked: config.runtime });
  // The server must listen before the kubelet registers (the Node advertises its port); it asks the kubelet once set.
  const holder: { kubelet?: Kubelet } = {};
  const server = new KubeletServer({
    logs: { logFile: (ns, pod, container, previous) => holder.kubelet?.logFile(ns, pod, container, previous) ?? Promise.resolve(undefined) },
    tls: { certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem: config.tls.clientCaPem },
    port: config.kubeletPort ?? 10250,
    bindAddress: config.nodeIP,
    log: config.log.child('server'),
  });
  const port = await server.start();
  const kubelet = new Kubelet({ client: config.client, nodeName, nodeIP: config.nodeIP, runtime, images, rootDir: agentDir, clock: new RealClock(), log: config.log, kubeletPort: port, clusterCAPem: config.tls.clientCaPem });
  holder.kubelet = kubelet;
  try {
    await kubelet.start();
  } catch (err) {
    await server.stop();
    throw err;
  }
  const rotation = typeof config.tls.serving === 'function' ? rotateServingCertificate(config.tls.serving, nodeName, serving.certPem, server, config.log) : undefined;
  return {
    nodeName,
    stop: async () => {
      rotation?.stop();
      await kubelet.stop();
      await server.stop();
    },
  };
}
