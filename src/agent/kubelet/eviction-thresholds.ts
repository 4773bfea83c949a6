/**
 * Hard eviction thresholds (`--eviction-hard memory.available<100Mi,nodefs.available<10%`) and the node
 * conditions they drive, as upstream's kubelet names them: memory.available → MemoryPressure; nodefs.available,
 * nodefs.inodesFree, imagefs.available, imagefs.inodesFree → DiskPressure; pid.available → PIDPressure. Here
 * imagefs is the same filesystem as nodefs (images live under the kubelet's root dir).
 */
import { parseQuantity } from '../../api/validation/quantity.js';
import type { NodeStats } from './node-stats.js';

/** Signal is an eviction signal. */
export type Signal = 'memory.available' | 'nodefs.available' | 'nodefs.inodesFree' | 'imagefs.available' | 'imagefs.inodesFree' | 'pid.available';

const SIGNALS: readonly Signal[] = ['memory.available', 'nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree', 'pid.available'];

/** Threshold is `signal < value`, value an absolute quantity or a fraction of capacity. */
export interface Threshold {
  readonly signal: Signal;
  /** As written (`100Mi`, `10%`), for messages. */
  readonly text: string;
  readonly quantity?: number;
  /** 0..1 */
  readonly percentage?: number;
}

/** DEFAULT_EVICTION_HARD is upstream's default on Linux. */
export const DEFAULT_EVICTION_HARD = 'memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%';

/** parseEvictionHard parses the flag's value; a bad entry is an error value naming it. */
export function parseEvictionHard(spec: string): Threshold[] | { error: string } {
  const out: Threshold[] = [];
  for (const raw of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([a-zA-Z.]+)<(.+)$/.exec(raw);
    const signal = m?.[1] as Signal | undefined;
    const text = m?.[2]?.trim() ?? '';
    if (!m || !signal || !SIGNALS.includes(signal)) return { error: `invalid eviction threshold "${raw}": want <signal><<quantity|percentage> with signal one of ${SIGNALS.join(', ')}` };
    if (text.endsWith('%')) {
      const pct = Number(text.slice(0, -1));
      if (!Number.isFinite(pct) || pct < 0 || pct > 100) return { error: `invalid eviction threshold "${raw}": percentage must be within 0-100%` };
      out.push({ signal, text, percentage: pct / 100 });
    } else {
      const q = parseQuantity(text);
      if (q === undefined || q < 0) return { error: `invalid eviction threshold "${raw}": "${text}" is not a quantity` };
      out.push({ signal, text, quantity: q });
    }
  }
  return out;
}

/** Observation is a signal's value now and the capacity its percentages refer to. */
export interface Observation {
  readonly available: number;
  readonly capacity: number;
}

/** observe reads every signal from one node observation. */
export function observe(node: NodeStats): Map<Signal, Observation> {
  const fs = { available: node.fs.availableBytes, capacity: node.fs.capacityBytes };
  const inodes = { available: node.fs.inodesFree, capacity: node.fs.inodes };
  return new Map<Signal, Observation>([
    ['memory.available', { available: node.memory.availableBytes, capacity: node.memory.capacityBytes }],
    ['nodefs.available', fs],
    ['imagefs.available', fs],
    ['nodefs.inodesFree', inodes],
    ['imagefs.inodesFree', inodes],
    ['pid.available', { available: node.pids.max - node.pids.running, capacity: node.pids.max }],
  ]);
}

/** thresholdValue is the threshold in the signal's unit. */
export function thresholdValue(t: Threshold, o: Observation): number {
  return t.quantity ?? (t.percentage ?? 0) * o.capacity;
}

/** thresholdsMet are the thresholds the observations fall below. */
export function thresholdsMet(thresholds: readonly Threshold[], observations: ReadonlyMap<Signal, Observation>): Threshold[] {
  return thresholds.filter((t) => {
    const o = observations.get(t.signal);
    return o !== undefined && o.available < thresholdValue(t, o);
  });
}

/** PressureCondition is a node condition eviction signals drive. */
export type PressureCondition = 'MemoryPressure' | 'DiskPressure' | 'PIDPressure';

/** conditionOf maps a signal to its node condition. */
export function conditionOf(signal: Signal): PressureCondition {
  if (signal === 'memory.available') return 'MemoryPressure';
  if (signal === 'pid.available') return 'PIDPressure';
  return 'DiskPressure';
}

/** resourceOf names the resource a signal is about, as eviction messages say it. */
export function resourceOf(signal: Signal): string {
  if (signal === 'memory.available') return 'memory';
  if (signal === 'pid.available') return 'pids';
  if (signal.endsWith('inodesFree')) return 'inodes';
  return 'ephemeral-storage';
}
