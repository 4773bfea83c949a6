/**
 * Proportional scaling (upstream's deployment `scale`): when a Deployment's replicas change while several of its
 * ReplicaSets have pods (mid-rollout), the change is spread over them in proportion to their sizes, instead of
 * all landing on the newest. Each ReplicaSet's share is measured against the Deployment size it was last scaled
 * for (its `deployment.kubernetes.io/max-replicas` annotation); what rounding leaves over goes to the largest
 * ReplicaSet when growing, and is taken from it when shrinking.
 */

/** ScalableReplicaSet is what proportional scaling reads of one ReplicaSet. */
export interface ScalableReplicaSet {
  readonly name: string;
  readonly replicas: number;
  /** The `max-replicas` annotation (desired + maxSurge when last scaled); undefined when missing or unreadable. */
  readonly maxReplicas: number | undefined;
  /** Creation order, larger is newer (revision or timestamp rank); breaks ties between equal sizes. */
  readonly age: number;
}

/**
 * proportionalSizes returns the new size of each active ReplicaSet (replicas > 0) for a Deployment of `desired`
 * replicas and `maxSurge`, given `fallbackMaxReplicas` (the Deployment's last status.replicas) for ReplicaSets
 * without the annotation. ReplicaSets not in the result keep their size.
 */
export function proportionalSizes(active: readonly ScalableReplicaSet[], desired: number, maxSurge: number, fallbackMaxReplicas: number): Map<string, number> {
  const sizes = new Map<string, number>();
  const total = active.reduce((n, rs) => n + rs.replicas, 0);
  const allowed = desired > 0 ? desired + maxSurge : 0;
  const toAdd = allowed - total;
  if (toAdd === 0 || active.length === 0) return sizes;
  // Growing: largest (then newest) first; shrinking: largest (then oldest) first, as upstream sorts them.
  const ordered = [...active].sort((a, b) => b.replicas - a.replicas || (toAdd > 0 ? b.age - a.age : a.age - b.age));
  let added = 0;
  for (const rs of ordered) {
    let change = 0;
    if (desired === 0) {
      change = -rs.replicas;
    } else {
      const annotated = rs.maxReplicas !== undefined && rs.maxReplicas > 0 ? rs.maxReplicas : fallbackMaxReplicas;
      if (annotated > 0) change = Math.ceil((rs.replicas * allowed) / annotated) - rs.replicas;
    }
    const room = toAdd - added;
    change = toAdd > 0 ? Math.min(change, room) : Math.max(change, room);
    sizes.set(rs.name, rs.replicas + change);
    added += change;
  }
  const leftover = toAdd - added;
  const first = ordered[0];
  if (leftover !== 0 && first) sizes.set(first.name, Math.max(0, (sizes.get(first.name) ?? first.replicas) + leftover));
  return sizes;
}
