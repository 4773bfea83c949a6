/**
 * bootstrapPolicy stores the bootstrap RBAC policy at server start (upstream's rbac/bootstrap-roles post-start
 * hook): missing objects are created; existing ones annotated `rbac.authorization.kubernetes.io/autoupdate: "true"`
 * get the rules, subjects, labels and annotations they lack (never lose any). Objects whose annotation is not
 * "true" are left as the administrator changed them. Idempotent: a second run writes nothing.
 */
import { StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { GenericStore } from '../registry/generic-store.js';
import { AUTOUPDATE_ANNOTATION, BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES, BOOTSTRAP_ROLE_BINDINGS, BOOTSTRAP_ROLES } from './bootstrap-policy.js';
import { RBAC_GROUP } from './rbac-cache-feed.js';

/** PolicyBootstrapResult counts what a run did. */
export interface PolicyBootstrapResult {
  readonly created: number;
  readonly updated: number;
}

function isStatus(err: unknown, code: number): boolean {
  return err instanceof StatusError && err.status.code === code;
}

function missingItems(have: unknown, want: unknown): unknown[] {
  const current = Array.isArray(have) ? have : [];
  const seen = new Set(current.map((x) => JSON.stringify(x)));
  return (Array.isArray(want) ? want : []).filter((x) => !seen.has(JSON.stringify(x)));
}

/** reconciled returns the stored object with what the wanted one adds, or undefined when nothing is missing. */
function reconciled(current: KubeObject, wanted: KubeObject, field: 'rules' | 'subjects'): KubeObject | undefined {
  const meta = current.metadata ?? {};
  if (meta.annotations?.[AUTOUPDATE_ANNOTATION] !== 'true') return undefined;
  const next = structuredClone(current);
  let changed = false;
  const nextMeta = (next.metadata ??= {});
  for (const key of ['labels', 'annotations'] as const) {
    for (const [k, v] of Object.entries(wanted.metadata?.[key] ?? {})) {
      const map = (nextMeta[key] ??= {});
      if (map[k] === undefined) {
        map[k] = v;
        changed = true;
      }
    }
  }
  // Aggregated roles' rules belong to the aggregation controller.
  if (!(field === 'rules' && wanted.aggregationRule)) {
    const add = missingItems(current[field], wanted[field]);
    if (add.length > 0) {
      next[field] = [...(Array.isArray(current[field]) ? (current[field] as unknown[]) : []), ...add];
      changed = true;
    }
  }
  if (wanted.aggregationRule && !current.aggregationRule) {
    next.aggregationRule = wanted.aggregationRule;
    changed = true;
  }
  return changed ? next : undefined;
}

async function ensure(store: GenericStore, wanted: KubeObject, field: 'rules' | 'subjects'): Promise<'created' | 'updated' | 'unchanged'> {
  const ns = wanted.metadata?.namespace ?? '';
  const name = wanted.metadata?.name ?? '';
  for (let attempt = 0; attempt < 5; attempt++) {
    let current: KubeObject;
    try {
      current = await store.get(ns, name);
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
      try {
        await store.create(ns, structuredClone(wanted));
        return 'created';
      } catch (createErr) {
        if (isStatus(createErr, 409)) continue;
        throw createErr;
      }
    }
    const next = reconciled(current, wanted, field);
    if (!next) return 'unchanged';
    try {
      await store.update(ns, name, next);
      return 'updated';
    } catch (err) {
      if (isStatus(err, 409)) continue;
      throw err;
    }
  }
  throw new Error(`Cannot reconcile bootstrap RBAC object ${ns}/${name}: it keeps changing`);
}

/** bootstrapPolicy creates and reconciles the bootstrap RBAC objects through the in-process stores. */
export async function bootstrapPolicy(storeFor: (group: string, resource: string) => GenericStore | undefined): Promise<PolicyBootstrapResult> {
  let created = 0;
  let updated = 0;
  const plan: [string, readonly KubeObject[], 'rules' | 'subjects'][] = [
    ['clusterroles', BOOTSTRAP_CLUSTER_ROLES, 'rules'],
    ['clusterrolebindings', BOOTSTRAP_CLUSTER_ROLE_BINDINGS, 'subjects'],
    ['roles', BOOTSTRAP_ROLES, 'rules'],
    ['rolebindings', BOOTSTRAP_ROLE_BINDINGS, 'subjects'],
  ];
  for (const [resource, objects, field] of plan) {
    const store = storeFor(RBAC_GROUP, resource);
    if (!store) throw new Error(`Cannot bootstrap RBAC policy: no store for ${resource}`);
    const results = await Promise.all(objects.map((o) => ensure(store, o, field)));
    for (const r of results) {
      if (r === 'created') created++;
      else if (r === 'updated') updated++;
    }
  }
  return { created, updated };
}
