/**
 * clusterStatus: a KubeDirectorCluster's `status` from its members' pods (pure). Each wanted member is reported
 * with upstream's states: `create_pending` (no pod yet, or not started), `creating` (running, not yet ready) and
 * `configured` (running and ready: its configmeta is mounted and the container is up); a pod beyond the wanted
 * count while a role shrinks is `delete_pending`. The cluster is `configured` when every member is, else `creating`
 * until it first was configured and `updating` afterwards (a scale in progress).
 */
import type { AppView, ClusterView } from '../../api/kubedirector/kubedirector-types.js';
import { membersOf } from '../../api/kubedirector/kubedirector-types.js';
import type { KubeObject } from '../../api/meta/types.js';
import { obj, objects, str } from '../../api/validation/unstructured.js';
import { servicePorts } from './desired-state.js';
import { clusterServiceName, memberPodName, memberServiceName, statefulSetName } from './names.js';

/** MemberState is upstream's per-member state. */
export type MemberState = 'create_pending' | 'creating' | 'configured' | 'delete_pending';

function podState(pod: KubeObject | undefined): MemberState {
  if (!pod || pod.metadata?.deletionTimestamp) return 'create_pending';
  const status = obj(pod['status']);
  if (str(status['phase']) !== 'Running') return 'create_pending';
  const ready = objects(status['conditions']).some((c) => c['type'] === 'Ready' && c['status'] === 'True');
  return ready ? 'configured' : 'creating';
}

/** clusterStatus computes the status; `pods` are the cluster's pods (any order), `previousState` its last state. */
export function clusterStatus(cluster: ClusterView, app: AppView, pods: readonly KubeObject[], previousState: string | undefined): Record<string, unknown> {
  const byName = new Map(pods.map((p) => [p.metadata?.name ?? '', p]));
  let all = true;
  let changing = false;
  let initializing = false;
  let nodeId = 0;
  const roles = cluster.roles.map((role) => {
    const sts = statefulSetName(cluster.name, cluster.uid, role.id);
    const wanted = membersOf(role, app.roles.find((r) => r.id === role.id));
    const hasService = servicePorts(app, role.id).length > 0;
    const members: Record<string, unknown>[] = [];
    for (let ordinal = 0; ordinal < wanted; ordinal++) {
      const pod = memberPodName(sts, ordinal);
      const state = podState(byName.get(pod));
      nodeId++;
      if (state !== 'configured') all = false;
      if (state === 'creating') initializing = true;
      if (state === 'create_pending') changing = true;
      members.push({ pod, service: hasService ? memberServiceName(pod) : '', state, nodeID: nodeId });
    }
    // Pods past the wanted count are being removed (highest ordinal first, by the StatefulSet).
    const extra = pods
      .map((p) => p.metadata?.name ?? '')
      .filter((n) => n.startsWith(`${sts}-`) && Number(n.slice(sts.length + 1)) >= wanted)
      .sort((a, b) => Number(a.slice(sts.length + 1)) - Number(b.slice(sts.length + 1)));
    for (const pod of extra) {
      all = false;
      changing = true;
      members.push({ pod, service: hasService ? memberServiceName(pod) : '', state: 'delete_pending', nodeID: 0 });
    }
    return { id: role.id, statefulSet: sts, members };
  });
  const state = all ? 'configured' : previousState === 'configured' || previousState === 'updating' ? 'updating' : 'creating';
  return {
    state,
    clusterService: clusterServiceName(cluster.name),
    generationUID: cluster.uid,
    lastNodeID: nodeId,
    memberStateRollup: { membershipChanging: changing, membersDown: false, membersInitializing: initializing, membersWaiting: false, membersRestarting: false, configErrors: false },
    roles,
  };
}
