/**
 * Watch events as they travel to clients: `{"type": ..., "object": ...}` (meta/v1 WatchEvent).
 */
import type { KubeObject, Status } from '../../api/meta/types.js';

/** WatchEventType is a watch event's type on the wire. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** WatchEvent is one event sent to a watcher. */
export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: KubeObject | Status;
}

/** INITIAL_EVENTS_END_ANNOTATION marks the BOOKMARK that ends a watch-list's initial events. */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';
