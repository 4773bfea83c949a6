/**
 * ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1): policies with CEL `validations`, applied through
 * ValidatingAdmissionPolicyBindings. Supported: matchConstraints and the binding's matchResources (resource rules,
 * excludeResourceRules, namespaceSelector, objectSelector), matchConditions, variables, params (paramKind +
 * paramRef by name, parameterNotFoundAction), message / messageExpression / reason, failurePolicy, and the
 * validationActions Deny (422 Invalid unless the validation names a reason), Warn (a Warning header) and Audit
 * (the failures as JSON in the audit annotation `validation.policy.admission.k8s.io/validation_failure`), and
 * auditAnnotations (`<policy>/<key>` annotations from their valueExpression; a null value adds none). CEL variables: object, oldObject, request, params, namespaceObject, variables
 * (evaluated through the shared CEL wrapper in api/cel).
 */
import { newStatus, StatusError } from '../../api/meta/status-error.js';
import type { KubeObject, StatusReason } from '../../api/meta/types.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import { anyRuleMatches, isAdmissionConfiguration, namespaceSelectorMatches, objectSelectorMatches } from './admission-match.js';
import { compileCel, type CelProgram } from '../../api/cel/cel-program.js';
import type { ObjectReader } from './object-reader.js';
import { asRecord, asRecords, type JsonRecord } from './pod-containers.js';

const GROUP = 'admissionregistration.k8s.io';

/** The variables policy expressions may use. */
const CEL_VARIABLES = ['object', 'oldObject', 'request', 'params', 'namespaceObject', 'variables', 'authorizer'];

/** Reasons a validation may name and the HTTP codes they answer with. */
const REASON_CODES: Readonly<Record<string, number>> = { Unauthorized: 401, Forbidden: 403, Invalid: 422, RequestEntityTooLarge: 413 };

/** Decision is the outcome of one validation that failed. */
interface Failure {
  readonly message: string;
  readonly reason: string;
  /** Which of the policy's validations failed (audit annotations report it). */
  readonly expressionIndex?: number;
}

function requestOf(a: AdmissionAttributes): JsonRecord {
  return {
    uid: '',
    kind: { group: a.group, version: a.version, kind: a.kind },
    resource: { group: a.group, version: a.version, resource: a.resource },
    subResource: a.subresource,
    name: a.name,
    namespace: a.namespace,
    operation: a.operation,
    userInfo: { username: a.user.username, uid: a.user.uid ?? '', groups: [...a.user.groups], extra: a.user.extra ?? {} },
    dryRun: a.dryRun,
  };
}

/** The plural resource of a paramKind (ConfigMap → configmaps), as the API names built-in kinds. */
function resourceOfKind(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  if (lower.endsWith('s')) return `${lower}es`;
  return `${lower}s`;
}

/** ValidatingAdmissionPolicy is upstream's ValidatingAdmissionPolicy plugin. */
export class ValidatingAdmissionPolicy implements AdmissionPlugin {
  readonly name = 'ValidatingAdmissionPolicy';
  readonly #reader: ObjectReader;
  readonly #programs = new Map<string, CelProgram | string>();

  constructor(reader: ObjectReader) {
    this.#reader = reader;
  }

  handles(a: AdmissionAttributes): boolean {
    return !isAdmissionConfiguration(a);
  }

  /** #run compiles (once) and evaluates an expression; throws an Error with CEL's message when either fails. */
  #run(expression: string, activation: Record<string, unknown>): unknown {
    let p = this.#programs.get(expression);
    if (p === undefined) {
      const compiled = compileCel(expression, { variables: CEL_VARIABLES });
      p = compiled.ok ? compiled.program : `compilation failed: ${compiled.error}`;
      if (this.#programs.size > 5000) this.#programs.clear();
      this.#programs.set(expression, p);
    }
    if (typeof p === 'string') throw new Error(p);
    const result = p.evaluate(activation);
    if (!result.ok) throw new Error(result.error);
    return result.value;
  }

  async #matches(resources: unknown, a: AdmissionAttributes, requireRules: boolean): Promise<boolean> {
    const m = asRecord(resources);
    const rules = m['resourceRules'];
    if (requireRules || Array.isArray(rules)) {
      if (!anyRuleMatches(rules, a)) return false;
    }
    if (anyRuleMatches(m['excludeResourceRules'], a)) return false;
    if (!objectSelectorMatches(m['objectSelector'], a)) return false;
    return namespaceSelectorMatches(m['namespaceSelector'], a, this.#reader);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    const bindings = await this.#reader.list(GROUP, 'validatingadmissionpolicybindings', '');
    if (bindings.length === 0) return;
    for (const binding of bindings) {
      const bspec = asRecord(binding['spec']);
      const policyName = typeof bspec['policyName'] === 'string' ? bspec['policyName'] : '';
      const policy = await this.#reader.get(GROUP, 'validatingadmissionpolicies', '', policyName);
      if (!policy) continue;
      const pspec = asRecord(policy['spec']);
      if (!(await this.#matches(pspec['matchConstraints'], a, true))) continue;
      if (bspec['matchResources'] !== undefined && !(await this.#matches(bspec['matchResources'], a, false))) continue;
      await this.#evaluate(a, policy, binding);
    }
  }

  async #evaluate(a: AdmissionAttributes, policy: KubeObject, binding: KubeObject): Promise<void> {
    const pspec = asRecord(policy['spec']);
    const bspec = asRecord(binding['spec']);
    const policyName = policy.metadata?.name ?? '';
    const bindingName = binding.metadata?.name ?? '';
    const actions = Array.isArray(bspec['validationActions']) ? (bspec['validationActions'] as unknown[]) : [];
    const failOpen = pspec['failurePolicy'] === 'Ignore';
    const failures: Failure[] = [];

    let params: unknown = null;
    const paramKind = asRecord(pspec['paramKind']);
    const paramRef = asRecord(bspec['paramRef']);
    if (typeof paramKind['kind'] === 'string' && typeof paramRef['name'] === 'string') {
      const apiVersion = typeof paramKind['apiVersion'] === 'string' ? paramKind['apiVersion'] : 'v1';
      const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
      const ns = typeof paramRef['namespace'] === 'string' ? paramRef['namespace'] : a.namespace;
      params = (await this.#reader.get(group, resourceOfKind(paramKind['kind']), ns, paramRef['name'])) ?? null;
      if (params === null) {
        if (paramRef['parameterNotFoundAction'] === 'Allow') return;
        failures.push({ message: 'failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction', reason: 'Invalid' });
      }
    }

    const namespaceObject = a.namespace === '' ? null : ((await this.#reader.get('', 'namespaces', '', a.namespace)) ?? null);
    const activation: Record<string, unknown> = {
      object: a.object ?? null,
      oldObject: a.oldObject ?? null,
      request: requestOf(a),
      params,
      namespaceObject,
      variables: {},
    };

    if (failures.length === 0) {
      try {
        for (const condition of asRecords(pspec['matchConditions'])) {
          if (this.#run(String(condition['expression'] ?? ''), activation) !== true) return;
        }
        const variables: Record<string, unknown> = {};
        activation['variables'] = variables;
        for (const v of asRecords(pspec['variables'])) variables[String(v['name'] ?? '')] = this.#run(String(v['expression'] ?? ''), activation);
      } catch (err) {
        if (failOpen) return;
        failures.push({ message: `failed to evaluate match conditions or variables: ${(err as Error).message}`, reason: 'Invalid' });
      }
    }

    if (failures.length === 0) {
      for (const [index, validation] of asRecords(pspec['validations']).entries()) {
        const expression = String(validation['expression'] ?? '');
        const reason = typeof validation['reason'] === 'string' ? validation['reason'] : 'Invalid';
        let result: unknown;
        try {
          result = this.#run(expression, activation);
        } catch (err) {
          if (!failOpen) failures.push({ message: `expression '${expression}' resulted in error: ${(err as Error).message}`, reason, expressionIndex: index });
          continue;
        }
        if (result === true) continue;
        let message = typeof validation['message'] === 'string' && validation['message'] !== '' ? validation['message'] : `failed expression: ${expression}`;
        if (typeof validation['messageExpression'] === 'string' && validation['messageExpression'] !== '') {
          try {
            const value = this.#run(validation['messageExpression'], activation);
            const m = (typeof value === 'string' ? value : JSON.stringify(value)).trim();
            if (m !== '' && !m.includes('\n')) message = m;
          } catch {
            // A failing messageExpression falls back to the static message, as upstream.
          }
        }
        failures.push({ message, reason, expressionIndex: index });
      }
    }

    if (a.addAuditAnnotation) {
      for (const annotation of asRecords(pspec['auditAnnotations'])) {
        try {
          const value = this.#run(String(annotation['valueExpression'] ?? ''), activation);
          if (value !== null && value !== undefined) a.addAuditAnnotation(`${policyName}/${String(annotation['key'] ?? '')}`, typeof value === 'string' ? value : JSON.stringify(value));
        } catch {
          // An annotation that cannot be evaluated is left out; it never decides the request.
        }
      }
    }

    if (failures.length === 0) return;
    if (actions.includes('Audit') && a.addAuditAnnotation) {
      const records = failures.map((f) => ({ message: f.message, policy: policyName, binding: bindingName, expressionIndex: f.expressionIndex ?? 0, validationActions: actions }));
      a.addAuditAnnotation('validation.policy.admission.k8s.io/validation_failure', JSON.stringify(records));
    }
    if (actions.includes('Warn')) {
      for (const f of failures) a.warn(`Validation failed for ValidatingAdmissionPolicy '${policyName}' with binding '${bindingName}': ${f.message}`);
    }
    if (!actions.includes('Deny')) return;
    const first = failures[0] as Failure;
    const message = `ValidatingAdmissionPolicy '${policyName}' with binding '${bindingName}' denied request: ${first.message}`;
    const name = a.name !== '' ? a.name : (a.object?.metadata?.generateName ?? '');
    const qualified = a.group === '' ? a.resource : `${a.resource}.${a.group}`;
    throw new StatusError(
      newStatus(REASON_CODES[first.reason] ?? 422, first.reason as StatusReason, `${qualified} "${name}" is forbidden: ${message}`, {
        name,
        group: a.group || undefined,
        kind: a.resource,
        causes: [{ message }],
      }),
    );
  }
}
