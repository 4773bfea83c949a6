/**
 * Matching shared by ValidatingAdmissionPolicy and admission webhooks: RuleWithOperations (operations, apiGroups,
 * apiVersions, resources with `*`, `*\/*`, `pods/*`, `*\/status`, scope) and the namespace and object label
 * selectors, with upstream's semantics (namespace objects match a namespaceSelector by their own labels;
 * cluster-scoped objects always do; an objectSelector matches the new or the old object).
 */
import { labelSelectorFromObject, type LabelSelectorObject } from '../../api/meta/labels.js';
import type { AdmissionAttributes } from './admission.js';
import type { ObjectReader } from './object-reader.js';
import { asRecord, asRecords, type JsonRecord } from './pod-containers.js';

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function resourceMatches(patterns: readonly string[], resource: string, subresource: string): boolean {
  const full = subresource === '' ? resource : `${resource}/${subresource}`;
  return patterns.some((p) => {
    if (p === '*/*' || p === full) return true;
    if (p === '*') return subresource === '';
    const [pr, ps] = p.split('/');
    if (ps === undefined) return false;
    return (pr === '*' || pr === resource) && (ps === '*' ? subresource !== '' : ps === subresource);
  });
}

/** ruleMatches says whether one RuleWithOperations (or NamedRuleWithOperations) covers this request. */
export function ruleMatches(rule: JsonRecord, a: AdmissionAttributes): boolean {
  const ops = strings(rule['operations']);
  if (ops.length > 0 && !ops.includes('*') && !ops.includes(a.operation)) return false;
  const groups = strings(rule['apiGroups']);
  if (!groups.includes('*') && !groups.includes(a.group)) return false;
  const versions = strings(rule['apiVersions']);
  if (!versions.includes('*') && !versions.includes(a.version)) return false;
  if (!resourceMatches(strings(rule['resources']), a.resource, a.subresource)) return false;
  const names = strings(rule['resourceNames']);
  if (names.length > 0 && !names.includes(a.name)) return false;
  const scope = rule['scope'] ?? '*';
  const clusterScoped = a.namespace === '';
  if (scope === 'Cluster' && !clusterScoped) return false;
  if (scope === 'Namespaced' && clusterScoped) return false;
  return true;
}

/** anyRuleMatches: true when one of the rules covers the request. */
export function anyRuleMatches(rules: unknown, a: AdmissionAttributes): boolean {
  return asRecords(rules).some((r) => ruleMatches(r, a));
}

/** namespaceSelectorMatches applies a namespaceSelector (reading the namespace's labels through `reader`). */
export async function namespaceSelectorMatches(selector: unknown, a: AdmissionAttributes, reader: ObjectReader): Promise<boolean> {
  const sel = labelSelectorFromObject(asRecord(selector) as LabelSelectorObject);
  if (sel.empty()) return true;
  if (a.group === '' && a.resource === 'namespaces') return sel.matches((a.object ?? a.oldObject)?.metadata?.labels ?? {});
  if (a.namespace === '') return true;
  const ns = await reader.get('', 'namespaces', '', a.namespace);
  return sel.matches(ns?.metadata?.labels ?? {});
}

/** objectSelectorMatches applies an objectSelector to the new or the old object. */
export function objectSelectorMatches(selector: unknown, a: AdmissionAttributes): boolean {
  const sel = labelSelectorFromObject(asRecord(selector) as LabelSelectorObject);
  if (sel.empty()) return true;
  return [a.object, a.oldObject].some((o) => o !== undefined && sel.matches(o.metadata?.labels ?? {}));
}

/** isAdmissionConfiguration: webhooks and policies never intercept writes of their own configuration, as upstream. */
export function isAdmissionConfiguration(a: AdmissionAttributes): boolean {
  return a.group === 'admissionregistration.k8s.io';
}
