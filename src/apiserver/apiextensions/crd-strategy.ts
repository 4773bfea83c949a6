/**
 * The CRD strategy the API server uses: the built-in one (status rule, table) plus CRD validation (crd-validation.ts),
 * the defaults upstream applies (conversion strategy None, singular and listKind), and status.storedVersions kept
 * as upstream does: the storage version is appended whenever a new one is chosen. The CRD controller owns the
 * rest of status (conditions, acceptedNames).
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { ResourceStrategy, StrategyContext } from '../registry/strategy.js';
import { validateCustomResourceDefinition, validateCustomResourceDefinitionUpdate } from './crd-validation.js';
import { isRecord } from './structural-schema.js';

function applyCrdDefaults(crd: KubeObject): void {
  const spec = isRecord(crd['spec']) ? crd['spec'] : undefined;
  if (spec === undefined) return;
  if (!isRecord(spec['conversion'])) spec['conversion'] = { strategy: 'None' };
  const names = spec['names'];
  if (isRecord(names) && typeof names['kind'] === 'string' && names['kind'] !== '') {
    if (typeof names['singular'] !== 'string' || names['singular'] === '') names['singular'] = names['kind'].toLowerCase();
    if (typeof names['listKind'] !== 'string' || names['listKind'] === '') names['listKind'] = `${names['kind']}List`;
  }
}

function storageVersionOf(crd: KubeObject): string | undefined {
  const spec = isRecord(crd['spec']) ? crd['spec'] : {};
  const versions = Array.isArray(spec['versions']) ? spec['versions'] : [];
  const storage = versions.find((v): v is Record<string, unknown> => isRecord(v) && v['storage'] === true);
  return typeof storage?.['name'] === 'string' ? storage['name'] : undefined;
}

/** crdStrategy wraps the built-in CRD strategy `base` with validation and defaulting. */
export function crdStrategy(base: ResourceStrategy): ResourceStrategy {
  return {
    ...base,
    prepareForCreate(obj: KubeObject, ctx: StrategyContext): void {
      applyCrdDefaults(obj);
      base.prepareForCreate?.(obj, ctx);
    },
    prepareForUpdate(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void {
      if (ctx.subresource === '') applyCrdDefaults(obj);
      base.prepareForUpdate?.(obj, old, ctx);
      const storage = storageVersionOf(obj);
      if (storage === undefined) return;
      const status = isRecord(obj['status']) ? obj['status'] : (obj['status'] = {});
      const stored = Array.isArray(status['storedVersions']) ? (status['storedVersions'] as unknown[]) : [];
      if (!stored.includes(storage)) status['storedVersions'] = [...stored, storage];
    },
    validate(obj: KubeObject) {
      return [...(base.validate?.(obj) ?? []), ...validateCustomResourceDefinition(obj)];
    },
    validateUpdate(obj: KubeObject, old: KubeObject) {
      return [...(base.validateUpdate?.(obj, old) ?? []), ...validateCustomResourceDefinitionUpdate(obj, old)];
    },
  };
}

/** CRD_STRATEGY_KEY is the strategies-map key of CustomResourceDefinitions. */
export const CRD_STRATEGY_KEY = 'apiextensions.k8s.io/customresourcedefinitions';

/** withCrdStrategy returns `strategies` with the CRD entry wrapped by crdStrategy (the map given is not changed). */
export function withCrdStrategy(strategies: ReadonlyMap<string, ResourceStrategy>): ReadonlyMap<string, ResourceStrategy> {
  const out = new Map(strategies);
  out.set(CRD_STRATEGY_KEY, crdStrategy(strategies.get(CRD_STRATEGY_KEY) ?? {}));
  return out;
}
