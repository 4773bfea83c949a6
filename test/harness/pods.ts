/**
 * Pod and node helpers for integration tests that run pods on a real node, all through the real kubectl:
 * read a pod as JSON, wait for a pod phase, wait for the node to be Ready.
 */
import { eventually, type TestCluster } from './test-cluster.js';

/** PodPhaseJson is the least a pod's JSON must have for waitForPodPhase; tests pass their own wider shape. */
export interface PodPhaseJson {
  status?: { phase?: string };
}

/** getPod reads a pod of the default namespace with `kubectl get pod -o json`; `T` names the fields the test reads. */
export async function getPod<T>(c: TestCluster, name: string): Promise<T> {
  return JSON.parse(await c.kubectlOk(['get', 'pod', name, '-o', 'json'])) as T;
}

/** waitForPodPhase polls the pod until its phase is one of `phases` and gives it; it fails after `timeoutMs`. */
export function waitForPodPhase<T extends PodPhaseJson>(c: TestCluster, name: string, phases: readonly string[], timeoutMs = 60_000): Promise<T> {
  return eventually(async () => {
    const p = await getPod<T>(c, name);
    return p.status?.phase !== undefined && phases.includes(p.status.phase) ? p : undefined;
  }, timeoutMs);
}

/** waitForNodeReady polls `kubectl get node` until the node shows Ready. */
export async function waitForNodeReady(c: TestCluster, node: string, timeoutMs = 30_000): Promise<void> {
  await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), timeoutMs);
}
