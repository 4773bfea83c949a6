/**
 * The eviction subresource (`POST pods/<name>/eviction`, policy/v1 Eviction): a delete that honours
 * PodDisruptionBudgets, as `kubectl drain` needs. A running pod covered by a budget is evicted only when the budget
 * allows a disruption; the budget's status is then charged at once (disruptionsAllowed − 1, the pod in
 * disruptedPods), so concurrent evictions cannot overdraw it before the disruption controller recounts. Refusals are
 * upstream's 429 with a DisruptionBudget cause; a pod under several budgets is a 500, as upstream. Pods that are not
 * running (pending, finished) are evicted without looking at budgets.
 */
import { formatTimestamp } from '../../api/meta/timestamp.js';
import { newStatus, StatusError } from '../../api/meta/status-error.js';
import { labelSelectorFromObject, type LabelSelectorObject } from '../../api/meta/labels.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { DeleteOptions, GenericStore } from './generic-store.js';

interface BudgetShape extends KubeObject {
  spec?: { selector?: LabelSelectorObject; minAvailable?: number | string; maxUnavailable?: number | string };
  status?: { disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number; expectedPods?: number; disruptedPods?: Record<string, string> } & Record<string, unknown>;
}

const MAX_BUDGET_RETRIES = 5;

/** chargeBudget refuses (429) when the pod's budget allows no disruption, else records one on it (409 on a race). */
async function chargeBudget(budgets: GenericStore, pod: KubeObject, namespace: string, name: string, now: Date, dryRun: boolean): Promise<void> {
  const matching = ((await budgets.list(namespace)).items as BudgetShape[]).filter((b) => {
    const sel = labelSelectorFromObject(b.spec?.selector);
    return !sel.empty() && sel.matches(pod.metadata?.labels ?? {});
  });
  if (matching.length > 1) {
    throw new StatusError(newStatus(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'));
  }
  const listed = matching[0];
  if (!listed) return;
  // Decide on the stored state (the list may come from a cache a write or two behind).
  const budget = (await budgets.get(namespace, listed.metadata?.name ?? '')) as BudgetShape;
  const allowed = budget.status?.disruptionsAllowed ?? 0;
  if (allowed <= 0) {
    const message = `The disruption budget ${budget.metadata?.name ?? ''} needs ${budget.status?.desiredHealthy ?? 0} healthy pods and has ${budget.status?.currentHealthy ?? 0} currently`;
    throw new StatusError(newStatus(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", { causes: [{ reason: 'DisruptionBudget', message }] }));
  }
  if (dryRun) return;
  // Charge the budget first, guarded by its resourceVersion, so concurrent evictions cannot overdraw it.
  const status = {
    ...(budget.status ?? {}),
    disruptionsAllowed: allowed - 1,
    disruptedPods: { ...(budget.status?.disruptedPods ?? {}), [name]: formatTimestamp(now.getTime()) },
  };
  await budgets.update(namespace, budget.metadata?.name ?? '', { ...budget, status }, { subresource: 'status' });
}

/** evictPod deletes the pod unless a PodDisruptionBudget forbids it (then throws the 429). */
export async function evictPod(
  pods: GenericStore,
  budgets: GenericStore | undefined,
  namespace: string,
  name: string,
  options: DeleteOptions,
  now: Date,
  dryRun: boolean,
): Promise<void> {
  const pod = await pods.get(namespace, name);
  const phase = (pod['status'] as { phase?: string } | undefined)?.phase;
  if (budgets && phase === 'Running' && !pod.metadata?.deletionTimestamp) {
    // The disruption controller updates the budget's status too: a lost race re-reads it and decides again.
    for (let attempt = 1; ; attempt++) {
      try {
        await chargeBudget(budgets, pod, namespace, name, now, dryRun);
        break;
      } catch (err) {
        if (!(err instanceof StatusError) || err.status.code !== 409) throw err;
        if (attempt >= MAX_BUDGET_RETRIES) throw new StatusError(newStatus(429, 'TooManyRequests', 'Too many concurrent evictions; please try again.', { retryAfterSeconds: 1 }));
      }
    }
  }
  await pods.delete(namespace, name, options, { dryRun });
}
