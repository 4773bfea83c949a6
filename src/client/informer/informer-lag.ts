/**
 * Informer lag: how far each informer of a process is behind the API server, as a Prometheus gauge. For the
 * server's own components (their informers share the server's process), so that a stalled watch shows in every
 * scrape instead of only as a scheduler that hears of new pods late (docs/benchmarks.md, issue 5, session 11).
 *
 *   tkube_informer_pending_events{group,resource} — events of the server's watch cache of the collection above the
 *   newest resourceVersion the informer handed to its handlers (0: caught up). Counted in events, not revisions:
 *   revisions also advance with other resources' writes and with progress notices.
 *
 * Only informers of whole collections (all namespaces) are reported: the cache counts every namespace's events.
 */
import type { InformerFactory } from './informer-factory.js';

/** EventsAfter counts the watch cache's events of a resource above a revision (undefined: no such cache). */
export type EventsAfter = (group: string, resource: string, revision: number) => number | undefined;

/** renderInformerLag renders the gauge for every whole-collection informer of `factory` in the text format. */
export function renderInformerLag(factory: InformerFactory, eventsAfter: EventsAfter): string {
  const lines = [
    '# HELP tkube_informer_pending_events Events of the API server\'s watch cache this process\'s informer of the collection has not yet handed to its handlers.',
    '# TYPE tkube_informer_pending_events gauge',
  ];
  const seen = new Set<string>();
  for (const { path, informer } of factory.collections()) {
    if ((path.namespace ?? '') !== '') continue;
    const group = path.group ?? '';
    // A metadata informer made before the full one of the same collection may exist beside it: one series each.
    const key = `${group}/${path.resource}`;
    const rv = Number(informer.lastSyncResourceVersion());
    if (!informer.hasSynced() || !Number.isFinite(rv)) continue;
    const pending = eventsAfter(group, path.resource, rv);
    if (pending === undefined || seen.has(key)) continue;
    seen.add(key);
    lines.push(`tkube_informer_pending_events{group="${group}",resource="${path.resource}"} ${pending}`);
  }
  return `${lines.join('\n')}\n`;
}
