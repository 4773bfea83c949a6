/**
 * AuditPolicy (audit.k8s.io/v1 Policy): which requests are audited and at what level. Rules are tried in order and
 * the first match decides; no match means level None. A rule matches when every field it sets matches: users,
 * userGroups, verbs, resources (group, resources with `*`, `res/*`, `*\/sub` and `res/sub` forms, resourceNames),
 * namespaces ("" = cluster-scoped) and nonResourceURLs (exact or `prefix*`). Rules naming resources or namespaces
 * never match non-resource requests, and rules naming nonResourceURLs never match resource requests.
 */
import { parse as parseYaml } from 'yaml';
import type { UserInfo } from '../request/request-info.js';

/** AuditLevel is how much of a request is recorded. */
export type AuditLevel = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
/** AuditStage is a point in a request's life at which an event is written. */
export type AuditStage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';

const LEVELS: readonly AuditLevel[] = ['None', 'Metadata', 'Request', 'RequestResponse'];
const STAGES: readonly AuditStage[] = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];

/** GroupResources selects resources of one API group. */
export interface GroupResources {
  /** '' is the core group. */
  readonly group?: string;
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
}

/** PolicyRule is one rule of a Policy. */
export interface PolicyRule {
  readonly level: AuditLevel;
  readonly users?: readonly string[];
  readonly userGroups?: readonly string[];
  readonly verbs?: readonly string[];
  readonly resources?: readonly GroupResources[];
  readonly namespaces?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
  readonly omitStages?: readonly AuditStage[];
}

/** AuditAttributes are the facts of a request a policy decides on. */
export interface AuditAttributes {
  /** Undefined when the request did not authenticate. */
  readonly user?: UserInfo;
  readonly verb: string;
  readonly isResourceRequest: boolean;
  readonly path: string;
  readonly apiGroup: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
}

/** AuditDecision is the level of a request and the stages not to record. */
export interface AuditDecision {
  readonly level: AuditLevel;
  readonly omitStages: readonly AuditStage[];
}

function strings(value: unknown, where: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new Error(`Cannot parse audit policy: ${where} must be a list of strings`);
  return value as string[];
}

function stages(value: unknown, where: string): AuditStage[] | undefined {
  const list = strings(value, where);
  for (const s of list ?? []) if (!STAGES.includes(s as AuditStage)) throw new Error(`Cannot parse audit policy: ${where} has unknown stage "${s}"`);
  return list as AuditStage[] | undefined;
}

function resourceMatches(gr: GroupResources, a: AuditAttributes): boolean {
  if ((gr.group ?? '') !== a.apiGroup) return false;
  const resources = gr.resources ?? [];
  if (resources.length === 0) return true;
  const names = gr.resourceNames ?? [];
  if (names.length > 0 && !names.includes(a.name)) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return resources.some(
    (r) => r === combined || r === '*' || (a.subresource !== '' && r === `*/${a.subresource}`) || (r.endsWith('/*') && r.slice(0, -2) === a.resource),
  );
}

function urlMatches(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : pattern === path;
}

/** ruleMatches reports whether one rule applies to a request. */
export function ruleMatches(rule: PolicyRule, a: AuditAttributes): boolean {
  if (rule.users?.length && !rule.users.includes(a.user?.username ?? '')) return false;
  if (rule.userGroups?.length && !(a.user?.groups ?? []).some((g) => rule.userGroups?.includes(g))) return false;
  if (rule.verbs?.length && !rule.verbs.includes(a.verb)) return false;
  const resourceRule = Boolean(rule.resources?.length || rule.namespaces?.length);
  if (resourceRule) {
    if (!a.isResourceRequest) return false;
    if (rule.namespaces?.length && !rule.namespaces.includes(a.namespace)) return false;
    if (rule.resources?.length && !rule.resources.some((gr) => resourceMatches(gr, a))) return false;
  }
  if (rule.nonResourceURLs?.length) {
    if (a.isResourceRequest) return false;
    if (!rule.nonResourceURLs.some((p) => urlMatches(p, a.path))) return false;
  }
  return true;
}

/** AuditPolicy decides the audit level of requests. */
export class AuditPolicy {
  readonly #rules: readonly PolicyRule[];
  readonly #omitStages: readonly AuditStage[];

  constructor(rules: readonly PolicyRule[], omitStages: readonly AuditStage[] = []) {
    this.#rules = rules;
    this.#omitStages = omitStages;
  }

  /** parse reads a Policy document (YAML or JSON). Throws on unknown levels, stages or malformed fields. */
  static parse(text: string): AuditPolicy {
    const doc = parseYaml(text) as unknown;
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('Cannot parse audit policy: the document must be an object');
    const d = doc as Record<string, unknown>;
    if (d['kind'] !== 'Policy') throw new Error(`Cannot parse audit policy: kind is "${String(d['kind'])}", want Policy`);
    const rawRules = d['rules'] ?? [];
    if (!Array.isArray(rawRules)) throw new Error('Cannot parse audit policy: rules must be a list');
    const rules = rawRules.map((raw: unknown, i): PolicyRule => {
      if (raw === null || typeof raw !== 'object') throw new Error(`Cannot parse audit policy: rules[${i}] must be an object`);
      const r = raw as Record<string, unknown>;
      const level = r['level'];
      if (!LEVELS.includes(level as AuditLevel)) throw new Error(`Cannot parse audit policy: rules[${i}].level "${String(level)}" is not one of ${LEVELS.join(', ')}`);
      const rawResources = r['resources'];
      if (rawResources !== undefined && rawResources !== null && !Array.isArray(rawResources)) throw new Error(`Cannot parse audit policy: rules[${i}].resources must be a list`);
      const resources = (rawResources as unknown[] | undefined | null)?.map((g, j): GroupResources => {
        const gr = (g ?? {}) as Record<string, unknown>;
        const group = gr['group'];
        if (group !== undefined && typeof group !== 'string') throw new Error(`Cannot parse audit policy: rules[${i}].resources[${j}].group must be a string`);
        return { group: group ?? '', resources: strings(gr['resources'], `rules[${i}].resources[${j}].resources`), resourceNames: strings(gr['resourceNames'], `rules[${i}].resources[${j}].resourceNames`) };
      });
      return {
        level: level as AuditLevel,
        users: strings(r['users'], `rules[${i}].users`),
        userGroups: strings(r['userGroups'], `rules[${i}].userGroups`),
        verbs: strings(r['verbs'], `rules[${i}].verbs`),
        resources,
        namespaces: strings(r['namespaces'], `rules[${i}].namespaces`),
        nonResourceURLs: strings(r['nonResourceURLs'], `rules[${i}].nonResourceURLs`),
        omitStages: stages(r['omitStages'], `rules[${i}].omitStages`),
      };
    });
    return new AuditPolicy(rules, stages(d['omitStages'], 'omitStages') ?? []);
  }

  /**
   * defaultPolicy is what the audit log uses without `--audit-policy-file`: nothing for health probes, Metadata
   * (who did what to which object, and the answer's code) for everything else. The log is on by default, so it
   * carries no request or response bodies: those may hold credentials (Secrets, token requests) and would make
   * every write cost a second serialisation. RequestReceived is omitted (ResponseComplete says it all).
   */
  static defaultPolicy(): AuditPolicy {
    return new AuditPolicy(
      [
        { level: 'None', nonResourceURLs: ['/healthz*', '/livez*', '/readyz*', '/version'] },
        { level: 'Metadata' },
      ],
      ['RequestReceived'],
    );
  }

  /** evaluate returns the level of a request (None when no rule matches) and the stages to omit. */
  evaluate(a: AuditAttributes): AuditDecision {
    for (const rule of this.#rules) {
      if (ruleMatches(rule, a)) return { level: rule.level, omitStages: [...this.#omitStages, ...(rule.omitStages ?? [])] };
    }
    return { level: 'None', omitStages: this.#omitStages };
  }
}
