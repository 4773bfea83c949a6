/**
 * SyncEvents: the events one pod sync records about its pod (Pulled, Created, Started, BackOff, ...), held until
 * the sync has written the pod's status, then handed to the recorder in the order they were recorded.
 *
 * Why: a start records three events and writes one status. Written as they happen, the events reach the API
 * before (or beside) the status write that makes the pod Running, and in a burst every worker's events compete
 * with every worker's status write. Held, the status goes first and the events follow through the kubelet's
 * bounded recorder (EventRecorder `maxInflight`), as upstream's kubelet hands its events to a broadcaster that
 * writes them in the background. What users see is unchanged: the same events with the same reasons, in the same
 * order, a few milliseconds later.
 *
 * Contract: `flush` is called once the sync is over, whatever its outcome (so a failed sync loses nothing), and
 * before anything that may hold the sync for long (a postStart hook) so that its events are not held that long.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { EventRecorder } from '../../client/event-recorder.js';

/** EventType is an event's type, as EventRecorder takes it. */
export type EventType = 'Normal' | 'Warning';

/** SyncEvents holds one sync's events about one object; see the file comment. */
export class SyncEvents {
  readonly #recorder: EventRecorder;
  readonly #obj: KubeObject;
  #held: { type: EventType; reason: string; message: string }[] = [];

  constructor(recorder: EventRecorder, obj: KubeObject) {
    this.#recorder = recorder;
    this.#obj = obj;
  }

  /** record holds an event until the next flush. */
  record(type: EventType, reason: string, message: string): void {
    this.#held.push({ type, reason, message });
  }

  /** flush hands the held events to the recorder, oldest first, and holds none after. Never throws. */
  flush(): void {
    const held = this.#held;
    this.#held = [];
    for (const e of held) void this.#recorder.record(this.#obj, e.type, e.reason, e.message);
  }
}
