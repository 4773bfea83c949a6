/**
 * SimulatedRuntime: a ContainerRuntime that runs nothing. Containers "start" at once with made-up IDs, so the
 * control plane can be exercised and benchmarked with thousands of nodes in one process.
 *
 * A pod asks to finish with annotations (restartPolicy Never or OnFailure only):
 *   sim.tkube.io/exit-after: "5s"   its containers end this long after the pod started (Go duration)
 *   sim.tkube.io/exit-code: "1"     with this exit code (default 0: Succeeded; otherwise Failed)
 * The plan is read from the pod itself (annotations and status.startTime), so it survives agent restarts.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../api/meta/types.js';
import type { Clock } from '../base/clock/clock.js';
import { parseGoDuration } from '../api/protobuf/go-duration.js';
import type { ContainerRuntime, PodExit, StartedContainer } from './runtime.js';

/** EXIT_AFTER_ANNOTATION and EXIT_CODE_ANNOTATION ask a simulated pod to finish. */
export const EXIT_AFTER_ANNOTATION = 'sim.tkube.io/exit-after';
export const EXIT_CODE_ANNOTATION = 'sim.tkube.io/exit-code';

interface ContainerSpec {
  name?: string;
  image?: string;
}

/**
 * IMAGE_IDS remembers the made-up digest reference of each image seen: one string per image instead of one per
 * container started (a 90-character string per simulated pod, issue 5). Bounded: a benchmark uses a few images.
 */
const IMAGE_IDS = new Map<string, string>();
const MAX_IMAGE_IDS = 1024;

function imageID(image: string): string {
  let id = IMAGE_IDS.get(image);
  if (id === undefined) {
    id = digestReference(image);
    if (IMAGE_IDS.size >= MAX_IMAGE_IDS) IMAGE_IDS.clear();
    IMAGE_IDS.set(image, id);
  }
  return id;
}

function digestReference(image: string): string {
  const ref = image.includes('/') ? image : `docker.io/library/${image}`;
  const repo = ref.replace(/:[^/:@]+$/, '').replace(/@.*$/, '');
  return `${repo}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

/** startedContainer is the record of container `c` of the pod `uid` started at `startedAt` (the same each time asked). */
function startedContainer(uid: string, c: ContainerSpec, startedAt: number): StartedContainer {
  const name = c.name ?? '';
  const image = c.image ?? '';
  const id = createHash('sha256').update(`${uid}\u0000${name}\u0000${startedAt}`).digest('hex');
  return { name, image, imageID: imageID(image), containerID: `simulated://${id}`, startedAt };
}

/** SimulatedRuntime pretends to run containers. */
export class SimulatedRuntime implements ContainerRuntime {
  readonly name = 'simulated';
  readonly version = '0.1.0';
  readonly #clock: Clock;
  /**
   * When each running pod (by UID) started, and nothing else: its containers are made again from the pod and that
   * time when asked for (a container's ID is a digest of the pod's UID, the container's name and the start time, so
   * it is the same each time and unique to the start). A list of container records per pod, each with a random
   * 76-character ID the pod's status held a copy of too, was ~0.27 KB per simulated pod (issue 5, session 14).
   */
  readonly #running = new Map<string, number>();

  constructor(config: { clock: Clock }) {
    this.#clock = config.clock;
  }

  startPod(pod: KubeObject): Promise<StartedContainer[]> {
    const uid = pod.metadata?.uid ?? '';
    let startedAt = this.#running.get(uid);
    if (startedAt === undefined) {
      startedAt = this.#clock.now();
      this.#running.set(uid, startedAt);
    }
    const spec = (pod['spec'] ?? {}) as { containers?: ContainerSpec[] };
    return Promise.resolve((spec.containers ?? []).map((c) => startedContainer(uid, c, startedAt)));
  }

  stopPod(pod: KubeObject): Promise<void> {
    this.#running.delete(pod.metadata?.uid ?? '');
    return Promise.resolve();
  }

  podExit(pod: KubeObject): PodExit | undefined {
    const annotations = pod.metadata?.annotations ?? {};
    const after = annotations[EXIT_AFTER_ANNOTATION];
    if (after === undefined) return undefined;
    const policy = (pod['spec'] as { restartPolicy?: string } | undefined)?.restartPolicy ?? 'Always';
    if (policy === 'Always') return undefined;
    const nanos = parseGoDuration(after);
    const started = Date.parse((pod['status'] as { startTime?: string } | undefined)?.startTime ?? '');
    if (nanos === undefined || Number.isNaN(started)) return undefined;
    const code = Number.parseInt(annotations[EXIT_CODE_ANNOTATION] ?? '0', 10);
    return { at: started + Math.round(nanos / 1e6), exitCode: Number.isNaN(code) ? 0 : code };
  }

  /** runningPods is how many pods the runtime holds (tests). */
  get runningPods(): number {
    return this.#running.size;
  }
}
