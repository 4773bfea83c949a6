/**
 * Proxier: one way of making Service addresses reach their endpoints on a node (kube-proxy's proxy modes).
 *
 * Contracts:
 *  - `sync(snapshot)` makes the node's rules (or listeners) match the snapshot exactly, and atomically as far as
 *    the mechanism allows: a packet sees either the old rules or the new ones, never half of each. Calls never
 *    overlap (the ServiceProxy serialises them); a call with an unchanged snapshot changes nothing visible.
 *  - A failed sync throws with a plain message; the next sync starts again from the snapshot (no partial state is
 *    trusted), so the ServiceProxy simply retries.
 *  - Everything a proxier makes on the host carries its own name (table, chain prefix), so two nodes' proxiers on
 *    one machine (tests, `dev cluster`) never touch each other's rules.
 *  - `cleanup()` removes all of it and is a no-op when nothing is there.
 */
import type { ProxySnapshot } from './proxy-state.js';

/** ProxyMode names a Proxier implementation (`--proxy-mode`). */
export type ProxyMode = 'nftables' | 'iptables' | 'userspace';

/** Proxier programs a node for a ProxySnapshot. */
export interface Proxier {
  readonly mode: ProxyMode;
  sync(snapshot: ProxySnapshot): Promise<void>;
  cleanup(): Promise<void>;
}
