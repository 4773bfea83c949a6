/**
 * LeaseLock: the resource a LeaderElector competes for, a coordination.k8s.io/v1 Lease read and written through
 * the API (client-go's resourcelock.LeaseLock). Writes carry the resourceVersion that was read, so of two
 * candidates writing the same Lease one gets a Conflict: the API server's optimistic concurrency is the lock.
 * Expected outcomes (not found, conflict, already exists) are values; transport and other API failures are thrown
 * for the elector to count as a failed attempt.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { isAlreadyExists, isConflict, isNotFound } from '../api-error.js';
import type { RestClient } from '../rest-client.js';

/** LeaderElectionRecord is what a Lease's spec says about its holder (client-go's LeaderElectionRecord). */
export interface LeaderElectionRecord {
  /** "" when nobody holds the lease (released). */
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  /** Milliseconds since the epoch. */
  readonly acquireTimeMs: number;
  readonly renewTimeMs: number;
  readonly leaseTransitions: number;
}

/** ObservedRecord is a record with the version it was read at. */
export interface ObservedRecord {
  readonly record: LeaderElectionRecord;
  readonly resourceVersion: string;
}

/** WriteResult: the write happened (at the lock object's new resourceVersion), or another writer got there first. */
export type WriteResult = { readonly resourceVersion: string } | 'conflict';

/** ResourceLock is what the elector needs from the lock object; LeaseLock is the real one, tests use a fake. */
export interface ResourceLock {
  /** Describes the lock for logs, e.g. "kube-system/kube-scheduler". */
  readonly description: string;
  /** The current record, or undefined when the lock object does not exist. */
  get(): Promise<ObservedRecord | undefined>;
  /** Creates the lock object; 'conflict' when it exists already. */
  create(record: LeaderElectionRecord): Promise<WriteResult>;
  /** Replaces the record if the object is still at `resourceVersion`. */
  update(record: LeaderElectionRecord, resourceVersion: string): Promise<WriteResult>;
}

/** microTime renders a MicroTime (RFC 3339 with microseconds), as Lease times are written. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function timeMs(v: unknown): number {
  if (typeof v !== 'string') return 0;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : 0;
}

/** LeaseLock keeps a leader-election record in a Lease. */
export class LeaseLock implements ResourceLock {
  readonly #client: RestClient;
  readonly #namespace: string;
  readonly #name: string;
  readonly description: string;

  constructor(client: RestClient, namespace: string, name: string) {
    this.#client = client;
    this.#namespace = namespace;
    this.#name = name;
    this.description = `${namespace}/${name}`;
  }

  #path(withName: boolean): { group: string; version: string; resource: string; namespace: string; name?: string } {
    return { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: this.#namespace, ...(withName ? { name: this.#name } : {}) };
  }

  async get(): Promise<ObservedRecord | undefined> {
    let lease: KubeObject;
    try {
      lease = await this.#client.get(this.#path(true));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const spec = (lease['spec'] ?? {}) as Record<string, unknown>;
    const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    return {
      resourceVersion: lease.metadata?.resourceVersion ?? '',
      record: {
        holderIdentity: typeof spec['holderIdentity'] === 'string' ? spec['holderIdentity'] : '',
        leaseDurationSeconds: num(spec['leaseDurationSeconds']),
        acquireTimeMs: timeMs(spec['acquireTime']),
        renewTimeMs: timeMs(spec['renewTime']),
        leaseTransitions: num(spec['leaseTransitions']),
      },
    };
  }

  #object(record: LeaderElectionRecord, resourceVersion?: string): KubeObject {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.#name, namespace: this.#namespace, ...(resourceVersion !== undefined ? { resourceVersion } : {}) },
      spec: {
        ...(record.holderIdentity !== '' ? { holderIdentity: record.holderIdentity } : {}),
        leaseDurationSeconds: Math.max(1, Math.round(record.leaseDurationSeconds)),
        acquireTime: microTime(record.acquireTimeMs),
        renewTime: microTime(record.renewTimeMs),
        leaseTransitions: record.leaseTransitions,
      },
    };
  }

  async create(record: LeaderElectionRecord): Promise<WriteResult> {
    try {
      const created = await this.#client.create(this.#path(false), this.#object(record));
      return { resourceVersion: created.metadata?.resourceVersion ?? '' };
    } catch (err) {
      if (isAlreadyExists(err)) return 'conflict';
      throw err;
    }
  }

  async update(record: LeaderElectionRecord, resourceVersion: string): Promise<WriteResult> {
    try {
      const updated = await this.#client.update(this.#path(true), this.#object(record, resourceVersion));
      return { resourceVersion: updated.metadata?.resourceVersion ?? '' };
    } catch (err) {
      // NotFound: deleted since read; the next attempt creates it.
      if (isConflict(err) || isNotFound(err)) return 'conflict';
      throw err;
    }
  }
}
