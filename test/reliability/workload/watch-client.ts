/**
 * WatchClient: one client watching a namespace's ConfigMaps the way an informer does — watch from a
 * resourceVersion with bookmarks and a short timeout, resume from the last revision it reached (event or bookmark)
 * when the stream ends or breaks (a server restart included), relist after a 410 — and keeps every segment for the
 * watch checker. Only keys passing `keep` are recorded (the namespace also holds objects the workload never wrote).
 */
import type { TestCluster } from '../../harness/test-cluster.js';
import type { ObservedEvent, WatchSegment } from '../history/watch-checker.js';
import { sleep } from './faults.js';

interface RawEvent {
  type?: string;
  object?: { code?: number; metadata?: { name?: string; resourceVersion?: string }; data?: { v?: string } };
}

/** WatchClient follows one namespace until stopped. */
export class WatchClient {
  readonly segments: WatchSegment[] = [];
  readonly #cluster: TestCluster;
  readonly #path: string;
  readonly #id: number;
  readonly #keep: (name: string) => boolean;
  /** Highest revision reached (event or bookmark). */
  reached = 0;
  expired = 0;
  bookmarks = 0;

  constructor(cluster: TestCluster, id: number, namespace: string, keep: (name: string) => boolean) {
    this.#cluster = cluster;
    this.#id = id;
    this.#path = `/api/v1/namespaces/${namespace}/configmaps`;
    this.#keep = keep;
  }

  /** run watches from `startRv` until `signal` aborts. */
  async run(startRv: number, signal: AbortSignal, timeoutSeconds = 2): Promise<void> {
    let from = startRv;
    while (!signal.aborted) {
      const seg = await this.segment(from, signal, timeoutSeconds);
      if (seg.end === 'expired') {
        this.expired++;
        from = await this.#relist(signal);
        continue;
      }
      if (seg.end === 'broken') await sleep(100);
      from = Math.max(from, this.reached);
    }
  }

  async #relist(signal: AbortSignal): Promise<number> {
    while (!signal.aborted) {
      try {
        const r = await this.#cluster.request(this.#path);
        if (r.status === 200) return Number((JSON.parse(r.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
      } catch {
        // The server is restarting: try again.
      }
      await sleep(200);
    }
    return 0;
  }

  /** segment runs one watch request from `startRv` and records what it delivered. */
  async segment(startRv: number, signal: AbortSignal, timeoutSeconds: number): Promise<WatchSegment> {
    const events: ObservedEvent[] = [];
    let end: WatchSegment['end'] = 'closed';
    try {
      const res = await this.#cluster.stream(`${this.#path}?watch=true&allowWatchBookmarks=true&resourceVersion=${startRv}&timeoutSeconds=${timeoutSeconds}`);
      if (res.statusCode === 410) {
        res.destroy();
        end = 'expired';
      } else {
        const onAbort = (): void => void res.destroy();
        signal.addEventListener('abort', onAbort, { once: true });
        res.setEncoding('utf8');
        let buf = '';
        try {
          for await (const chunk of res) {
            buf += chunk as string;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (line.trim() === '') continue;
              const e = JSON.parse(line) as RawEvent;
              if (e.type === 'ERROR') {
                end = e.object?.code === 410 ? 'expired' : 'broken';
                continue;
              }
              const rv = Number(e.object?.metadata?.resourceVersion ?? 'NaN');
              if (e.type === 'BOOKMARK') {
                this.bookmarks++;
                events.push({ type: 'BOOKMARK', rv, key: '', value: '' });
                this.reached = Math.max(this.reached, rv);
                continue;
              }
              const name = e.object?.metadata?.name ?? '';
              if (e.type !== 'ADDED' && e.type !== 'MODIFIED' && e.type !== 'DELETED') continue;
              this.reached = Math.max(this.reached, rv);
              if (!this.#keep(name)) {
                // Not the workload's object: to the checker it only marks progress (like a bookmark).
                events.push({ type: 'BOOKMARK', rv, key: '', value: '' });
                continue;
              }
              events.push({ type: e.type, rv, key: name, value: e.object?.data?.v ?? '' });
            }
          }
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
        if (!res.complete && end === 'closed' && !signal.aborted) end = 'broken';
      }
    } catch {
      end = 'broken';
    }
    const seg: WatchSegment = { client: this.#id, startRv, events, end };
    this.segments.push(seg);
    return seg;
  }
}
