/**
 * RBAC validation: policy rules (verbs required; resource rules need api groups and resources; non-resource
 * URLs only in cluster roles), role references and subjects, and the immutable roleRef.
 */
import type { KubeObject } from '../meta/types.js';
import { fieldErrors, type FieldError } from './field-error.js';
import { semanticEqual } from './generic.js';
import { isDNS1123Subdomain } from './names.js';
import { obj, objects, str, strings } from './unstructured.js';

/** RBAC_GROUP is the rbac API group. */
export const RBAC_GROUP = 'rbac.authorization.k8s.io';

function validateRule(rule: Record<string, unknown>, field: string, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (strings(rule['verbs']).length === 0) errs.push(fieldErrors.required(`${field}.verbs`, 'verbs must contain at least one value'));
  const urls = strings(rule['nonResourceURLs']);
  if (urls.length > 0) {
    if (namespaced) errs.push(fieldErrors.invalid(`${field}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'));
    if (strings(rule['apiGroups']).length > 0 || strings(rule['resources']).length > 0 || strings(rule['resourceNames']).length > 0) {
      errs.push(fieldErrors.invalid(`${field}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (!Array.isArray(rule['apiGroups']) || rule['apiGroups'].length === 0) errs.push(fieldErrors.required(`${field}.apiGroups`, 'resource rules must supply at least one api group'));
  if (strings(rule['resources']).length === 0) errs.push(fieldErrors.required(`${field}.resources`, 'resource rules must supply at least one resource'));
  return errs;
}

/** validateRole checks a Role (namespaced) or ClusterRole's rules; aggregated cluster roles may have none. */
export function validateRole(role: KubeObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  objects(role['rules']).forEach((r, i) => errs.push(...validateRule(r, `rules[${i}]`, namespaced)));
  return errs;
}

/** validateRoleBinding checks roleRef and subjects; cluster role bindings may only reference ClusterRoles. */
export function validateRoleBinding(rb: KubeObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = obj(rb['roleRef']);
  const group = str(ref['apiGroup']) ?? '';
  if (group !== RBAC_GROUP) errs.push(fieldErrors.notSupported('roleRef.apiGroup', group, [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  const kind = str(ref['kind']) ?? '';
  if (!kinds.includes(kind)) errs.push(fieldErrors.notSupported('roleRef.kind', kind, kinds));
  const name = str(ref['name']) ?? '';
  if (!name) errs.push(fieldErrors.required('roleRef.name'));
  objects(rb['subjects']).forEach((s, i) => {
    const f = `subjects[${i}]`;
    const sname = str(s['name']) ?? '';
    if (!sname) errs.push(fieldErrors.required(`${f}.name`));
    const skind = str(s['kind']) ?? '';
    const sgroup = str(s['apiGroup']) ?? '';
    switch (skind) {
      case 'ServiceAccount':
        if (sgroup !== '') errs.push(fieldErrors.notSupported(`${f}.apiGroup`, sgroup, ['']));
        if (sname) for (const m of isDNS1123Subdomain(sname)) errs.push(fieldErrors.invalid(`${f}.name`, sname, m));
        if (!namespaced && !str(s['namespace'])) errs.push(fieldErrors.required(`${f}.namespace`));
        break;
      case 'User':
      case 'Group':
        if (sgroup !== RBAC_GROUP) errs.push(fieldErrors.notSupported(`${f}.apiGroup`, sgroup, [RBAC_GROUP]));
        break;
      default:
        errs.push(fieldErrors.notSupported(`${f}.kind`, skind, ['ServiceAccount', 'User', 'Group']));
    }
  });
  return errs;
}

/** validateRoleBindingUpdate: roleRef cannot change. */
export function validateRoleBindingUpdate(rb: KubeObject, old: KubeObject): FieldError[] {
  return semanticEqual(rb['roleRef'], old['roleRef']) ? [] : [fieldErrors.invalid('roleRef', rb['roleRef'], 'cannot change roleRef')];
}
