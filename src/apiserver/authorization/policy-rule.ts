/**
 * PolicyRule matching: the rbac.authorization.k8s.io/v1 rule semantics shared by the RBAC authorizer, the
 * escalation check and SelfSubjectRulesReview.
 *
 * Contract (upstream's): a rule allows a resource request when its verbs, apiGroups and resources all match
 * (`*` matches anything; `pods/log` names a subresource; `*\/scale` any resource's scale subresource) and its
 * resourceNames are empty or contain the request's name. A rule allows a non-resource request when its verbs match
 * and one of its nonResourceURLs is the path, `*`, or a prefix ending in `*`.
 */

/** PolicyRule is rbac/v1 PolicyRule. */
export interface PolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

/** RuleRequest is the part of a request rules are matched against. */
export interface RuleRequest {
  readonly isResourceRequest: boolean;
  readonly verb: string;
  readonly apiGroup: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
  /** For non-resource requests. */
  readonly path: string;
}

/** ALL is the wildcard of every rule field. */
export const ALL = '*';

/** verbMatches: the rule names the verb or `*`. */
export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.includes(ALL) || rule.verbs.includes(verb);
}

/** apiGroupMatches: the rule names the group or `*`. */
export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  const groups = rule.apiGroups ?? [];
  return groups.includes(ALL) || groups.includes(group);
}

/** resourceMatches: `*`, `resource`, `resource/subresource`, or `*\/subresource`. */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource === '' ? resource : `${resource}/${subresource}`;
  for (const r of rule.resources ?? []) {
    if (r === ALL || r === combined) return true;
    if (subresource !== '' && r === `*/${subresource}`) return true;
  }
  return false;
}

/** resourceNameMatches: no resourceNames means every name; otherwise the name must be listed. */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

/** nonResourceURLMatches: the path, `*`, or a `prefix*` of the path. */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === ALL || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

/** ruleAllows tells whether one rule allows the request. */
export function ruleAllows(rule: PolicyRule, req: RuleRequest): boolean {
  if (!verbMatches(rule, req.verb)) return false;
  if (!req.isResourceRequest) return nonResourceURLMatches(rule, req.path);
  return apiGroupMatches(rule, req.apiGroup) && resourceMatches(rule, req.resource, req.subresource) && resourceNameMatches(rule, req.name);
}

function hasAll(list: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  const have = list ?? [];
  if (have.includes(ALL)) return true;
  return (wanted ?? []).every((w) => have.includes(w));
}

function coversResources(owner: PolicyRule, wanted: readonly string[]): boolean {
  const have = owner.resources ?? [];
  if (have.includes(ALL)) return true;
  return wanted.every((w) => {
    if (have.includes(w)) return true;
    const slash = w.indexOf('/');
    // `*/scale` held covers `deployments/scale` requested.
    return slash > 0 && have.includes(`*${w.slice(slash)}`);
  });
}

function coversNonResourceURLs(owner: PolicyRule, wanted: readonly string[]): boolean {
  return wanted.every((w) => (owner.nonResourceURLs ?? []).some((u) => u === ALL || u === w || (u.endsWith('*') && w.startsWith(u.slice(0, -1)))));
}

/**
 * ruleCovers tells whether the owner rule grants everything `wanted` does. Used per broken-down wanted rule
 * (one verb, group, resource, name or URL), so "covered by the union of owner rules" is "some owner covers it".
 */
export function ruleCovers(owner: PolicyRule, wanted: PolicyRule): boolean {
  if (!hasAll(owner.verbs, wanted.verbs)) return false;
  if ((wanted.nonResourceURLs ?? []).length > 0) {
    if (!coversNonResourceURLs(owner, wanted.nonResourceURLs ?? [])) return false;
  }
  if ((wanted.resources ?? []).length > 0 || (wanted.apiGroups ?? []).length > 0) {
    if (!hasAll(owner.apiGroups, wanted.apiGroups)) return false;
    if (!coversResources(owner, wanted.resources ?? [])) return false;
    const ownerNames = owner.resourceNames ?? [];
    if (ownerNames.length > 0 && !hasAll(ownerNames, wanted.resourceNames)) return false;
    if (ownerNames.length > 0 && (wanted.resourceNames ?? []).length === 0) return false;
  }
  return true;
}

/** breakdownRule splits a rule into rules of one verb, group, resource and name (or URL) each. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const verb of rule.verbs) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) out.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
        for (const n of names) out.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [n] });
      }
    }
    for (const url of rule.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
  }
  return out;
}

/** uncoveredRules returns the broken-down parts of `wanted` that no owner rule covers (empty: no escalation). */
export function uncoveredRules(owner: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of wanted) {
    for (const part of breakdownRule(rule)) {
      if (!owner.some((o) => ruleCovers(o, part))) missing.push(part);
    }
  }
  return missing;
}

function quoted(list: readonly string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** compactRuleString words a rule as upstream's CompactString, e.g. `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`. */
export function compactRuleString(rule: PolicyRule): string {
  const parts: string[] = [];
  if ((rule.apiGroups ?? []).length > 0) parts.push(`APIGroups:${quoted(rule.apiGroups ?? [])}`);
  if ((rule.resources ?? []).length > 0) parts.push(`Resources:${quoted(rule.resources ?? [])}`);
  if ((rule.nonResourceURLs ?? []).length > 0) parts.push(`NonResourceURLs:${quoted(rule.nonResourceURLs ?? [])}`);
  if ((rule.resourceNames ?? []).length > 0) parts.push(`ResourceNames:${quoted(rule.resourceNames ?? [])}`);
  parts.push(`Verbs:${quoted(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}
