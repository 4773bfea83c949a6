/**
 * ControllerMetrics: the controller manager's Prometheus families, named as client-go's work queue metrics so
 * upstream dashboards read them: workqueue_depth{name}, workqueue_adds_total{name}, workqueue_retries_total{name}
 * and workqueue_work_duration_seconds{name} (a histogram of reconcile durations), `name` being the controller's
 * name as in `--controllers`. In-process controllers have no port of their own, so the server appends `render()`
 * to the API server's /metrics (as k3s serves every embedded component's figures from one place).
 *
 * One process-wide instance (CONTROLLER_METRICS) is the default every Controller records into: a tkube server runs
 * one controller manager, and threading an instance through every controller's constructor would buy nothing.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** WORK_DURATION_BUCKETS are client-go's: 10 ns to 10 s by powers of ten. */
const WORK_DURATION_BUCKETS = Array.from({ length: 10 }, (_, i) => 1e-8 * 10 ** i);

/** QueueDepth reports one queue's current length at scrape time. */
type QueueDepth = () => number;

/** ControllerMetrics owns the families; see the file comment. */
export class ControllerMetrics {
  readonly #registry = new Registry();
  readonly #depths = new Map<string, Set<QueueDepth>>();
  readonly #adds: Counter<string>;
  readonly #retries: Counter<string>;
  readonly #durations: Histogram<string>;

  constructor() {
    const registers = [this.#registry];
    const depths = this.#depths;
    new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames: ['name'],
      registers,
      collect() {
        this.reset();
        for (const [name, fns] of depths) {
          let n = 0;
          for (const fn of fns) n += fn();
          this.set({ name }, n);
        }
      },
    });
    this.#adds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: ['name'], registers });
    this.#retries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name'], registers });
    this.#durations = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes.',
      labelNames: ['name'],
      buckets: WORK_DURATION_BUCKETS,
      registers,
    });
  }

  /** watchDepth reports a queue's depth under `name` until the returned function is called. */
  watchDepth(name: string, depth: QueueDepth): () => void {
    let set = this.#depths.get(name);
    if (!set) {
      set = new Set();
      this.#depths.set(name, set);
    }
    set.add(depth);
    return () => {
      set.delete(depth);
      if (set.size === 0) this.#depths.delete(name);
    };
  }

  added(name: string): void {
    this.#adds.inc({ name });
  }

  retried(name: string): void {
    this.#retries.inc({ name });
  }

  worked(name: string, seconds: number): void {
    this.#durations.observe({ name }, seconds);
  }

  /** render returns the exposition text of the families. */
  render(): Promise<string> {
    return this.#registry.metrics();
  }
}

/** CONTROLLER_METRICS is the process-wide instance every Controller records into by default. */
export const CONTROLLER_METRICS = new ControllerMetrics();
