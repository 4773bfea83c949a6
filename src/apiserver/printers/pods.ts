/**
 * Pod table: NAME, READY, STATUS, RESTARTS, AGE (+ IP, NODE, NOMINATED NODE, READINESS GATES with -o wide).
 * STATUS follows upstream's rules: the pod's reason or phase, overridden by the first failing or waiting init
 * container (`Init:0/1`, `Init:CrashLoopBackOff`), then by container waiting/terminated reasons
 * (`ContainerCreating`, `CrashLoopBackOff`, `Completed`), and finally `Terminating` when deletion is pending.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { isObject, num, obj, objects, str, type JsonObject } from '../../api/validation/unstructured.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, column, NAME_COLUMN, nameOf } from './columns.js';
import type { TableConvertor } from './table.js';

const NODE_UNREACHABLE_POD_REASON = 'NodeLost';

function isRestartable(c: JsonObject | undefined): boolean {
  return c !== undefined && c['restartPolicy'] === 'Always';
}

function conditionTrue(status: JsonObject, type: string): boolean {
  return objects(status['conditions']).some((c) => c['type'] === type && c['status'] === 'True');
}

function terminatedFinishedAt(cs: JsonObject): number | undefined {
  const term = obj(obj(cs['lastState'])['terminated']);
  const at = str(term['finishedAt']);
  if (!at) return undefined;
  const t = Date.parse(at);
  return Number.isNaN(t) ? undefined : t;
}

/** podStatusCells computes READY, STATUS and RESTARTS for a pod at `now`. */
export function podStatusCells(pod: KubeObject, now: Date): { ready: string; status: string; restarts: string } {
  const spec = obj(pod['spec']);
  const status = obj(pod['status']);
  const containers = objects(spec['containers']);
  const initSpecs = objects(spec['initContainers']);
  const initByName = new Map(initSpecs.map((c) => [str(c['name']) ?? '', c]));
  const total = containers.length + initSpecs.filter(isRestartable).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;
  const phase = str(status['phase']) ?? '';
  let reason = str(status['reason']) || phase;
  for (const c of objects(status['conditions'])) {
    if (c['type'] === 'PodScheduled' && c['reason'] === 'SchedulingGated') reason = 'SchedulingGated';
  }
  let initializing = false;
  const initStatuses = objects(status['initContainerStatuses']);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i] ?? {};
    const count = num(cs['restartCount']) ?? 0;
    restarts += count;
    const fin = terminatedFinishedAt(cs);
    if (fin !== undefined && (lastRestart === undefined || fin > lastRestart)) lastRestart = fin;
    const sidecar = isRestartable(initByName.get(str(cs['name']) ?? ''));
    if (sidecar) {
      sidecarRestarts += count;
      if (fin !== undefined && (lastSidecarRestart === undefined || fin > lastSidecarRestart)) lastSidecarRestart = fin;
    }
    const state = obj(cs['state']);
    const term = state['terminated'];
    const waiting = state['waiting'];
    if (isObject(term) && num(term['exitCode']) === 0) continue;
    if (sidecar && cs['started'] === true) {
      if (cs['ready'] === true) ready++;
      continue;
    }
    if (isObject(term)) {
      const r = str(term['reason']);
      if (!r) {
        const sig = num(term['signal']) ?? 0;
        reason = sig !== 0 ? `Init:Signal:${sig}` : `Init:ExitCode:${num(term['exitCode']) ?? 0}`;
      } else reason = `Init:${r}`;
    } else if (isObject(waiting) && str(waiting['reason']) && waiting['reason'] !== 'PodInitializing') {
      reason = `Init:${str(waiting['reason']) ?? ''}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }
  if (!initializing || conditionTrue(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = objects(status['containerStatuses']);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i] ?? {};
      restarts += num(cs['restartCount']) ?? 0;
      const fin = terminatedFinishedAt(cs);
      if (fin !== undefined && (lastRestart === undefined || fin > lastRestart)) lastRestart = fin;
      const state = obj(cs['state']);
      const waiting = state['waiting'];
      const term = state['terminated'];
      if (isObject(waiting) && str(waiting['reason'])) reason = str(waiting['reason']) ?? reason;
      else if (isObject(term) && str(term['reason'])) reason = str(term['reason']) ?? reason;
      else if (isObject(term)) {
        const sig = num(term['signal']) ?? 0;
        reason = sig !== 0 ? `Signal:${sig}` : `ExitCode:${num(term['exitCode']) ?? 0}`;
      } else if (cs['ready'] === true && isObject(state['running'])) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(status, 'Ready') ? 'Running' : 'NotReady';
  }
  if (pod.metadata?.deletionTimestamp && status['reason'] === NODE_UNREACHABLE_POD_REASON) reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) restartsStr = `${restarts} (${translateTimestampSince(new Date(lastRestart).toISOString(), now)} ago)`;
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsStr };
}

/** podTable renders pods. */
export const podTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Ready', { description: 'The aggregate readiness state of this pod for accepting traffic.' }),
    column('Status', { description: 'The aggregate status of the containers in this pod.' }),
    column('Restarts', { description: 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.' }),
    AGE_COLUMN,
    column('IP', { priority: 1, description: 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.' }),
    column('Node', { priority: 1, description: 'NodeName is a request to schedule this pod onto a specific node.' }),
    column('Nominated Node', { priority: 1, description: 'nominatedNodeName is set when this pod preempts other pods on the node.' }),
    column('Readiness Gates', { priority: 1, description: 'If specified, all readiness gates will be evaluated for pod readiness.' }),
  ],
  cells(pod, now) {
    const spec = obj(pod['spec']);
    const status = obj(pod['status']);
    const { ready, status: st, restarts } = podStatusCells(pod, now);
    const podIPs = objects(status['podIPs']);
    const ip = str(podIPs[0]?.['ip']) || str(status['podIP']) || '<none>';
    const gates = objects(spec['readinessGates']);
    let readinessGates = '<none>';
    if (gates.length > 0) {
      const conds = objects(status['conditions']);
      const trueCount = gates.filter((g) => conds.find((c) => c['type'] === g['conditionType'])?.['status'] === 'True').length;
      readinessGates = `${trueCount}/${gates.length}`;
    }
    return [
      nameOf(pod),
      ready,
      st,
      restarts,
      translateTimestampSince(pod.metadata?.creationTimestamp, now),
      ip,
      str(spec['nodeName']) || '<none>',
      str(status['nominatedNodeName']) || '<none>',
      readinessGates,
    ];
  },
};
