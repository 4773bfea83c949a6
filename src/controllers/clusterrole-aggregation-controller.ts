/**
 * The ClusterRole aggregation controller (name "clusterrole-aggregation"): a ClusterRole with an
 * `aggregationRule` gets as its rules the union of the rules of every other ClusterRole whose labels match one of
 * the rule's `clusterRoleSelectors` (e.g. `admin`, `edit` and `view` collect the roles labelled
 * `rbac.authorization.k8s.io/aggregate-to-*`). Rules keep the order of the matching roles sorted by name, without
 * duplicates; the role is written only when its rules differ.
 */
import { labelSelectorFromObject, type LabelSelectorObject } from '../api/meta/labels.js';
import type { KubeObject } from '../api/meta/types.js';
import { isNotFound } from '../client/api-error.js';
import type { SharedInformer } from '../client/informer/shared-informer.js';
import type { RestClient } from '../client/rest-client.js';
import type { Logger } from '../base/log/logger.js';
import { Controller } from './controller.js';
import type { ControllerContext, ControllerDescriptor } from './controller-descriptor.js';
import type { Reconciler } from './reconciler.js';

const CLUSTER_ROLES = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' } as const;

interface AggregationRule {
  clusterRoleSelectors?: LabelSelectorObject[];
}

function aggregationOf(role: KubeObject | undefined): AggregationRule | undefined {
  const rule = role?.aggregationRule;
  return rule !== null && typeof rule === 'object' ? (rule as AggregationRule) : undefined;
}

/** aggregateRules computes the rules of `role` from the other ClusterRoles (pure; exported for tests). */
export function aggregateRules(role: KubeObject, all: readonly KubeObject[]): unknown[] {
  const selectors = (aggregationOf(role)?.clusterRoleSelectors ?? []).map((s) => labelSelectorFromObject(s));
  const name = role.metadata?.name;
  const matching = all
    .filter((r) => r.metadata?.name !== name && selectors.some((s) => s.matches(r.metadata?.labels)))
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const out: unknown[] = [];
  const seen = new Set<string>();
  for (const r of matching) {
    for (const rule of Array.isArray(r.rules) ? (r.rules as unknown[]) : []) {
      const key = JSON.stringify(rule);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(rule);
    }
  }
  return out;
}

/** ClusterRoleAggregationReconciler updates one aggregated ClusterRole (the key is its name). */
export class ClusterRoleAggregationReconciler implements Reconciler {
  readonly #client: RestClient;
  readonly #roles: SharedInformer;
  readonly #log: Logger;

  constructor(config: { client: RestClient; roles: SharedInformer; log: Logger }) {
    this.#client = config.client;
    this.#roles = config.roles;
    this.#log = config.log;
  }

  async reconcile(name: string): Promise<void> {
    const role = this.#roles.store.get(name);
    if (!role || !aggregationOf(role)) return;
    const rules = aggregateRules(role, this.#roles.store.list());
    const current = Array.isArray(role.rules) ? role.rules : [];
    if (JSON.stringify(current) === JSON.stringify(rules)) return;
    try {
      // An update with the cached resourceVersion: a conflict means the cache lags, and the retry sees newer state.
      await this.#client.update({ ...CLUSTER_ROLES, name }, { ...role, rules });
      this.#log.info('Aggregated ClusterRole rules', { name, rules: rules.length });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

/** newClusterRoleAggregationController builds the controller: any ClusterRole change re-checks every aggregated role. */
export function newClusterRoleAggregationController(ctx: ControllerContext): Controller {
  const roles: SharedInformer = ctx.informers.informerFor(CLUSTER_ROLES);
  const controller = new Controller({
    name: 'clusterrole-aggregation',
    reconciler: new ClusterRoleAggregationReconciler({ client: ctx.client, roles, log: ctx.log }),
    clock: ctx.clock,
    log: ctx.log,
  });
  const enqueueAggregated = (): void => {
    for (const r of roles.store.list()) if (aggregationOf(r) && r.metadata?.name) controller.enqueue(r.metadata.name);
  };
  roles.addEventHandler({ onAdd: enqueueAggregated, onUpdate: enqueueAggregated, onDelete: enqueueAggregated });
  return controller;
}

/** CLUSTERROLE_AGGREGATION_CONTROLLER is the table row of the aggregation controller. */
export const CLUSTERROLE_AGGREGATION_CONTROLLER: ControllerDescriptor = { name: 'clusterrole-aggregation', enabledByDefault: true, create: newClusterRoleAggregationController };
