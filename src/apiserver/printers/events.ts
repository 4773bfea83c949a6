/**
 * Event table: LAST SEEN, TYPE, REASON, OBJECT (`kind/name`), MESSAGE (+ SUBOBJECT, SOURCE, FIRST SEEN, COUNT,
 * NAME with -o wide). Works for core/v1 events and for events written through events.k8s.io (eventTime,
 * series, reportingController).
 */
import { num, obj, str } from '../../api/validation/unstructured.js';
import { translateTimestampSince } from './age.js';
import { column, nameOf } from './columns.js';
import type { TableConvertor } from './table.js';

/** eventSource renders SOURCE: `component, host`, falling back to reportingController/Instance. */
export function eventSource(source: unknown, reportingController: unknown, reportingInstance: unknown): string {
  const s = obj(source);
  const component = str(s['component']) || str(reportingController) || '';
  const instance = str(s['host']) || str(reportingInstance) || '';
  return instance ? `${component}, ${instance}` : component;
}

/** eventTable renders events. */
export const eventTable: TableConvertor = {
  columns: [
    column('Last Seen', { description: 'The time at which the most recent occurrence of this event was recorded.' }),
    column('Type', { description: 'Type of this event (Normal, Warning), new types could be added in the future.' }),
    column('Reason', { description: 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.' }),
    column('Object', { description: 'The object that this event is about.' }),
    column('Subobject', { priority: 1, description: 'The subobject that this event is about.' }),
    column('Source', { priority: 1, description: 'The component reporting this event. Should be a short machine understandable string.' }),
    column('Message', { description: 'A human-readable description of the status of this operation.' }),
    column('First Seen', { priority: 1, description: 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)' }),
    column('Count', { type: 'integer', priority: 1, description: 'The number of times this event has occurred.' }),
    column('Name', { format: 'name', priority: 1, description: 'Name must be unique within a namespace.' }),
  ],
  cells(ev, now) {
    // Events written through events.k8s.io/v1 may be stored in that shape; read its field names as fallbacks.
    const first = str(ev['firstTimestamp']) || str(ev['deprecatedFirstTimestamp']);
    const firstSeen = first ? translateTimestampSince(first, now) : translateTimestampSince(ev['eventTime'], now);
    const last = str(ev['lastTimestamp']) || str(ev['deprecatedLastTimestamp']);
    let lastSeen = last ? translateTimestampSince(last, now) : firstSeen;
    let count = num(ev['count']) ?? num(ev['deprecatedCount']) ?? 0;
    const series = ev['series'];
    if (typeof series === 'object' && series !== null) {
      const s = obj(series);
      lastSeen = translateTimestampSince(s['lastObservedTime'], now);
      count = num(s['count']) ?? 0;
    } else if (count === 0) {
      count = 1;
    }
    const involved = obj(ev['involvedObject'] ?? ev['regarding']);
    const kind = (str(involved['kind']) ?? '').toLowerCase();
    const name = str(involved['name']);
    return [
      lastSeen,
      str(ev['type']) ?? '',
      str(ev['reason']) ?? '',
      name ? `${kind}/${name}` : kind,
      str(involved['fieldPath']) ?? '',
      eventSource(ev['source'] ?? ev['deprecatedSource'], ev['reportingComponent'] ?? ev['reportingController'], ev['reportingInstance']),
      (str(ev['message']) ?? str(ev['note']) ?? '').trim(),
      firstSeen,
      count,
      nameOf(ev),
    ];
  },
};
