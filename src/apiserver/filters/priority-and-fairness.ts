/**
 * PriorityAndFairness: a small version of upstream's API Priority and Fairness (APF), standing where the plain
 * in-flight limit stood. Every request is classified by the first matching FlowSchema into a priority level; each
 * level owns a share of the server's concurrency (so a flood in one level cannot take the seats of another), and
 * within a level the waiting requests are queued per flow (the user name) and dispatched round-robin across flows
 * (so one user with many waiting requests cannot starve the others). A request that finds its flow's queue full,
 * or waits longer than the queue wait, is refused; the server answers 429 with Retry-After.
 *
 * Differences from upstream, on purpose: the schemas and levels are data in this file (no FlowSchema or
 * PriorityLevelConfiguration objects in the API), there is no shuffle sharding (one queue per flow), no borrowing
 * between levels, and every request costs one seat. And, because this server runs every request on one event loop,
 * levels marked `paced` hand seats to a flow that already has a backlog no faster than the loop can afford
 * (BacklogPacer, backlog-pacer.ts): while the loop is busy, a flood waits in its queue and the loop keeps idle time
 * for a flow that arrives with nothing waiting, which takes a free seat at once.
 */
import type { Clock, Timer } from '../../base/clock/clock.js';
import type { BacklogPacer } from './backlog-pacer.js';
import type { RequestInfo, UserInfo } from '../request/request-info.js';

/** PriorityLevel is a class of requests sharing a slice of the server's concurrency. */
export interface PriorityLevel {
  readonly name: string;
  /** Exempt levels are never limited nor queued. */
  readonly exempt?: boolean;
  /** Relative share of the server's concurrency (upstream's nominalConcurrencyShares). */
  readonly shares: number;
  /**
   * Backlogged flows get their seats at the BacklogPacer's pace while the event loop is busy. Not for the levels
   * whose requests must never wait longer than a seat (Lease renewals): they keep their seats as reserved.
   */
  readonly paced?: boolean;
}

/** ResourceRule matches resource requests; an absent or empty list matches everything. */
export interface ResourceRule {
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly namespaces?: readonly string[];
  readonly verbs?: readonly string[];
}

/** FlowSchema maps requests to a priority level: all listed subject conditions and one resource rule must hold. */
export interface FlowSchema {
  readonly name: string;
  readonly level: string;
  /** Users and groups the schema applies to; either matching suffices. Absent = every user. */
  readonly subjects?: { readonly users?: readonly string[]; readonly groups?: readonly string[] };
  /** Absent = every request, resource or not; present = resource requests matching one rule. */
  readonly resourceRules?: readonly ResourceRule[];
}

/** The levels, by upstream's names and nominal shares (upstream's workload-low and catch-all are left out). */
export const DEFAULT_PRIORITY_LEVELS: readonly PriorityLevel[] = [
  { name: 'exempt', exempt: true, shares: 0 },
  { name: 'leader-election', shares: 10 },
  { name: 'node-high', shares: 40 },
  { name: 'workload-high', shares: 40, paced: true },
  { name: 'global-default', shares: 20, paced: true },
];

const LEASES: ResourceRule = { apiGroups: ['coordination.k8s.io'], resources: ['leases'] };

/** The schemas, tried in order: the first that matches decides the level. The last matches every request. */
export const DEFAULT_FLOW_SCHEMAS: readonly FlowSchema[] = [
  // Upstream exempts system:masters only; health probes never reach the filter at all.
  { name: 'exempt', level: 'exempt', subjects: { groups: ['system:masters'] } },
  // Node heartbeats: a missed Lease renewal makes the node NotReady and its pods get evicted.
  {
    name: 'system-node-high',
    level: 'node-high',
    subjects: { groups: ['system:nodes'] },
    resourceRules: [{ ...LEASES, namespaces: ['kube-node-lease'] }, { apiGroups: [''], resources: ['nodes'] }],
  },
  // Leader election of controller manager, scheduler, operators and apiserver identity leases in kube-system.
  { name: 'system-leader-election', level: 'leader-election', resourceRules: [{ ...LEASES, namespaces: ['kube-system'], verbs: ['get', 'create', 'update', 'patch'] }] },
  // Controllers, scheduler, the rest of what nodes do, and kube-system service accounts.
  {
    name: 'workload-high',
    level: 'workload-high',
    subjects: {
      users: ['system:kube-controller-manager', 'system:kube-scheduler', 'system:kube-proxy'],
      groups: ['system:nodes', 'system:serviceaccounts:kube-system'],
    },
  },
  { name: 'global-default', level: 'global-default' },
];

/** classify returns the first schema matching the request (undefined only when no schema is a catch-all). */
export function classify(schemas: readonly FlowSchema[], info: RequestInfo, user: UserInfo): FlowSchema | undefined {
  return schemas.find((s) => subjectsMatch(s, user) && resourcesMatch(s, info));
}

function subjectsMatch(s: FlowSchema, user: UserInfo): boolean {
  if (!s.subjects) return true;
  return (s.subjects.users ?? []).includes(user.username) || (s.subjects.groups ?? []).some((g) => user.groups.includes(g));
}

function resourcesMatch(s: FlowSchema, info: RequestInfo): boolean {
  if (!s.resourceRules) return true;
  if (!info.isResourceRequest) return false;
  const has = (list: readonly string[] | undefined, v: string): boolean => !list || list.length === 0 || list.includes(v);
  return s.resourceRules.some((r) => has(r.apiGroups, info.apiGroup) && has(r.resources, info.resource) && has(r.namespaces, info.namespace) && has(r.verbs, info.verb));
}

/** PriorityAndFairnessConfig sets the server's concurrency and the queueing bounds. */
export interface PriorityAndFairnessConfig {
  /** Seats shared by the non-exempt levels (upstream: max-requests-inflight + max-mutating-requests-inflight); 0 = unlimited. */
  readonly serverConcurrencyLimit: number;
  readonly clock: Clock;
  /** @default DEFAULT_PRIORITY_LEVELS */
  readonly levels?: readonly PriorityLevel[];
  /** @default DEFAULT_FLOW_SCHEMAS */
  readonly flowSchemas?: readonly FlowSchema[];
  /** How long a request may wait for a seat before it is refused. @default 500 */
  readonly queueWaitMs?: number;
  /** Requests one flow may have waiting in one level; more are refused at once. @default 16 */
  readonly queueLengthLimit?: number;
  /**
   * Called when a level may admit more: with the flow of a request that left its queue (granted a seat or timed out)
   * once that queue is at most half full, or with flow undefined when a seat came free and nobody waits. The server
   * reads its throttled connections again on it (filters/connection-throttle.ts). Half, not "one place free": a flow
   * whose queue stays full has busy connections that send their next request the moment they are answered, and a
   * connection woken for the one free place would mostly lose the race for it and only be refused again.
   * Must not call back into acquire synchronously.
   */
  readonly onRoom?: (level: string, flow: string | undefined) => void;
  /** Paces backlogged flows in `paced` levels (see BacklogPacer); absent = never paced (plain APF). */
  readonly pacer?: BacklogPacer;
}

/** Admission is the outcome of acquire: a seat with its release (idempotent), or a refusal with its reason. */
export type Admission =
  | { readonly admitted: true; readonly flowSchema: string; readonly level: string; readonly release: () => void }
  | { readonly admitted: false; readonly flowSchema: string; readonly level: string; readonly reason: 'queue-full' | 'time-out' };

interface Waiter {
  readonly grant: () => void;
}

type OnRoom = (level: string, flow: string | undefined) => void;

/** LevelState is one non-exempt level: its seats and its per-flow queues, dispatched round-robin. */
class LevelState {
  inUse = 0;
  /** Waiting requests by flow; a flow is present only while it has waiters. Map order is the round-robin order. */
  readonly queues = new Map<string, Waiter[]>();
  /** Seats held by flow; a flow is present only while it holds one. */
  readonly executing = new Map<string, number>();
  /** When the pacer last let a backlogged flow have a seat, and the timer of the next such dispatch. */
  #pacedAt = Number.NEGATIVE_INFINITY;
  #pacing: Timer | undefined;
  constructor(
    readonly name: string,
    readonly seats: number,
    readonly queueLengthLimit: number,
    readonly onRoom: OnRoom | undefined,
    readonly clock: Clock,
    /** Present for `paced` levels only. */
    readonly pacer: BacklogPacer | undefined,
  ) {}

  /** fresh tells whether `flow` has nothing executing or waiting here: it may take a free seat ahead of backlogs. */
  fresh(flow: string): boolean {
    return !this.queues.has(flow) && !this.executing.has(flow);
  }

  /**
   * pacedPastWait tells whether a request joining `flow`'s queue would, at the pacer's current gap, wait longer than
   * queueWaitMs: its flow is backlogged and the level serves backlogs one per gap, round-robin over the waiting flows.
   * Such a request is refused at once rather than after the whole queue wait, so the flood learns of its refusal
   * without delay and holds no queue place it cannot use.
   */
  pacedPastWait(flow: string, queue: readonly Waiter[], queueWaitMs: number): boolean {
    const gap = this.pacer?.gapMs ?? 0;
    if (gap <= 0 || (queue.length === 0 && !this.executing.has(flow))) return false;
    return (queue.length + 1) * gap * Math.max(1, this.queues.size) > queueWaitMs;
  }

  take(flow: string): void {
    this.inUse++;
    this.executing.set(flow, (this.executing.get(flow) ?? 0) + 1);
  }

  give(flow: string): void {
    this.inUse--;
    const n = (this.executing.get(flow) ?? 1) - 1;
    if (n > 0) this.executing.set(flow, n);
    else this.executing.delete(flow);
  }

  /** left tells, after a request of `flow` left its queue, whether its flow now has room (see onRoom). */
  left(flow: string): void {
    if ((this.queues.get(flow)?.length ?? 0) <= Math.floor(this.queueLengthLimit / 2)) this.onRoom?.(this.name, flow);
  }

  /**
   * enqueueFlow adds a flow that had nothing waiting. It goes to the front of the rotation: it got no service while
   * the flows already waiting were being served (what fair queuing's virtual finish times give a newly active flow),
   * and it cannot jump ahead twice, as it goes to the back once served.
   */
  enqueueFlow(flow: string, queue: Waiter[]): void {
    const rest = [...this.queues];
    this.queues.clear();
    this.queues.set(flow, queue);
    for (const [f, q] of rest) this.queues.set(f, q);
  }

  /**
   * dispatch hands free seats to the head of each flow's queue in turn. While the pacer's gap has not passed since
   * the last backlogged dispatch, only flows without a backlog are served (in rotation order) and a timer dispatches
   * again when the gap is over.
   */
  dispatch(): void {
    while (this.inUse < this.seats && this.queues.size > 0) {
      const next = this.#next();
      if (!next) break;
      const [flow, queue] = next;
      const waiter = queue.shift();
      // Rotate: the flow just served goes to the back, so the next seat goes to another flow.
      this.queues.delete(flow);
      if (queue.length > 0) this.queues.set(flow, queue);
      if (waiter) {
        this.take(flow);
        waiter.grant();
        this.left(flow);
      }
    }
    if (this.inUse < this.seats && this.queues.size === 0) this.onRoom?.(this.name, undefined);
  }

  /** #next picks the flow to serve: the rotation's head, unless it is backlogged and must wait for the pacer. */
  #next(): [string, Waiter[]] | undefined {
    const gap = this.pacer?.gapMs ?? 0;
    const backlogged = (flow: string, queue: Waiter[]): boolean => queue.length > 1 || this.executing.has(flow);
    const head = this.queues.entries().next().value as [string, Waiter[]];
    if (gap <= 0 || !backlogged(...head)) return head;
    const now = this.clock.now();
    if (now >= this.#pacedAt + gap) {
      this.#pacedAt = now;
      return head;
    }
    for (const entry of this.queues) if (!backlogged(...entry)) return entry;
    if (this.#pacing === undefined) {
      this.#pacing = this.clock.setTimer(this.#pacedAt + gap - now, () => {
        this.#pacing = undefined;
        this.dispatch();
      });
    }
    return undefined;
  }
}

/** PriorityAndFairness admits, queues or refuses requests by priority level and flow. */
export class PriorityAndFairness {
  readonly #config: PriorityAndFairnessConfig;
  readonly #schemas: readonly FlowSchema[];
  readonly #levels = new Map<string, LevelState | 'exempt'>();

  constructor(config: PriorityAndFairnessConfig) {
    this.#config = config;
    this.#schemas = config.flowSchemas ?? DEFAULT_FLOW_SCHEMAS;
    const levels = config.levels ?? DEFAULT_PRIORITY_LEVELS;
    const totalShares = levels.reduce((sum, l) => sum + (l.exempt ? 0 : l.shares), 0);
    for (const l of levels) {
      // Upstream's nominal concurrency: ceil(limit × share / total shares), at least one seat.
      const seats = config.serverConcurrencyLimit > 0 ? Math.max(1, Math.ceil((config.serverConcurrencyLimit * l.shares) / Math.max(1, totalShares))) : Number.POSITIVE_INFINITY;
      const pacer = l.paced && config.pacer?.enabled ? config.pacer : undefined;
      this.#levels.set(l.name, l.exempt ? 'exempt' : new LevelState(l.name, seats, config.queueLengthLimit ?? 16, config.onRoom, config.clock, pacer));
    }
  }

  /** seats tells a level's seat count (Infinity when unlimited or exempt), for tests and docs. */
  seats(level: string): number {
    const l = this.#levels.get(level);
    return l === undefined || l === 'exempt' ? Number.POSITIVE_INFINITY : l.seats;
  }

  /** inUse tells a level's seats taken. */
  inUse(level: string): number {
    const l = this.#levels.get(level);
    return l === undefined || l === 'exempt' ? 0 : l.inUse;
  }

  /** waiting tells how many requests of a level wait for a seat. */
  waiting(level: string): number {
    const l = this.#levels.get(level);
    if (l === undefined || l === 'exempt') return 0;
    let n = 0;
    for (const q of l.queues.values()) n += q.length;
    return n;
  }

  /**
   * acquire classifies the request and resolves once it holds a seat of its level, or with a refusal when its flow's
   * queue is full (at once) or no seat came within the queue wait. A request matching no schema is exempt.
   */
  acquire(info: RequestInfo, user: UserInfo): Promise<Admission> {
    const schema = classify(this.#schemas, info, user);
    const state = schema ? this.#levels.get(schema.level) : undefined;
    const flowSchema = schema?.name ?? '';
    if (state === undefined || state === 'exempt') return Promise.resolve({ admitted: true, flowSchema, level: schema?.level ?? 'exempt', release: () => undefined });
    const level = state.name;
    const flow = user.username;
    const release = this.#releaser(state, flow);
    // A free seat with others waiting exists only while the pacer holds backlogged flows back; a flow with nothing
    // executing or waiting takes it (what the pacer keeps the loop's idle time for).
    if (state.inUse < state.seats && (state.queues.size === 0 || state.fresh(flow))) {
      state.take(flow);
      return Promise.resolve({ admitted: true, flowSchema, level, release });
    }
    const queue = state.queues.get(flow) ?? [];
    if (queue.length >= (this.#config.queueLengthLimit ?? 16) || state.pacedPastWait(flow, queue, this.#config.queueWaitMs ?? 500)) {
      return Promise.resolve({ admitted: false, flowSchema, level, reason: 'queue-full' });
    }
    return new Promise<Admission>((resolve) => {
      const timer = this.#config.clock.setTimer(this.#config.queueWaitMs ?? 500, () => {
        const q = state.queues.get(flow);
        const at = q?.indexOf(waiter) ?? -1;
        if (q && at >= 0) {
          q.splice(at, 1);
          if (q.length === 0) state.queues.delete(flow);
        }
        resolve({ admitted: false, flowSchema, level, reason: 'time-out' });
        state.left(flow);
      });
      const waiter: Waiter = {
        grant: () => {
          timer.cancel();
          resolve({ admitted: true, flowSchema, level, release });
        },
      };
      queue.push(waiter);
      if (!state.queues.has(flow)) state.enqueueFlow(flow, queue);
      state.dispatch();
    });
  }

  /** levels lists the non-exempt levels' figures (for the flowcontrol gauges). */
  levels(): { level: string; seats: number; executing: number; waiting: number }[] {
    const out: { level: string; seats: number; executing: number; waiting: number }[] = [];
    for (const [name, l] of this.#levels) if (l !== 'exempt') out.push({ level: name, seats: l.seats, executing: l.inUse, waiting: this.waiting(name) });
    return out;
  }

  #releaser(state: LevelState, flow: string): () => void {
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      state.give(flow);
      state.dispatch();
    };
  }
}
