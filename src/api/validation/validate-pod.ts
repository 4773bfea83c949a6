/**
 * Pod validation: PodSpec (containers, ports, volumes, resources, probes, policies), Pod create and update (a
 * pod's spec is immutable apart from images, activeDeadlineSeconds, added tolerations and a few others), and
 * PodTemplateSpec as embedded in workload controllers.
 */
import type { KubeObject, ObjectMeta } from '../meta/types.js';
import { fieldErrors, type FieldError } from './field-error.js';
import { semanticEqual, validateLabels, validateNonnegativeField, validateAnnotations } from './generic.js';
import {
  inclusiveRangeError,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isValidPortName,
  isValidPortNum,
} from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { parseQuantity, QUANTITY_FORMAT_MSG } from './quantity.js';
import { isObject, list, num, obj, objects, str, type JsonObject } from './unstructured.js';

/** PodSpecOptions tailors PodSpec rules to where the spec lives. */
export interface PodSpecOptions {
  /** restartPolicy values allowed here. @default Always, OnFailure, Never */
  readonly restartPolicies?: readonly string[];
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];

function each(msgs: string[], field: string, value: unknown): FieldError[] {
  return msgs.map((m) => fieldErrors.invalid(field, value, m));
}

function validatePorts(ports: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  objects(ports).forEach((p, i) => {
    const f = `${field}[${i}]`;
    const name = str(p['name']);
    if (name) {
      errs.push(...each(isValidPortName(name), `${f}.name`, name));
      if (names.has(name)) errs.push(fieldErrors.duplicate(`${f}.name`, name));
      names.add(name);
    }
    const cp = num(p['containerPort']);
    if (!cp) errs.push(fieldErrors.required(`${f}.containerPort`));
    else errs.push(...each(isValidPortNum(cp), `${f}.containerPort`, cp));
    const hp = num(p['hostPort']);
    if (hp) errs.push(...each(isValidPortNum(hp), `${f}.hostPort`, hp));
    const proto = str(p['protocol']);
    if (!proto) errs.push(fieldErrors.required(`${f}.protocol`));
    else if (!PROTOCOLS.includes(proto)) errs.push(fieldErrors.notSupported(`${f}.protocol`, proto, PROTOCOLS));
  });
  return errs;
}

function validateEnv(env: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  objects(env).forEach((e, i) => {
    const name = str(e['name']);
    if (!name) errs.push(fieldErrors.required(`${field}[${i}].name`));
    else errs.push(...each(isEnvVarName(name), `${field}[${i}].name`, name));
    const from = obj(e['valueFrom']);
    const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'].filter((k) => isObject(from[k]));
    if (e['valueFrom'] !== undefined && e['valueFrom'] !== null) {
      if (sources.length === 0) errs.push(fieldErrors.invalid(`${field}[${i}].valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (sources.length > 1) errs.push(fieldErrors.invalid(`${field}[${i}].valueFrom`, '', 'may not have more than one field specified at a time'));
      if (str(e['value'])) errs.push(fieldErrors.invalid(`${field}[${i}].valueFrom`, '', 'may not be specified when `value` is not empty'));
      for (const ref of ['configMapKeyRef', 'secretKeyRef']) {
        const r = from[ref];
        if (!isObject(r)) continue;
        const key = str(r['key']);
        if (!key) errs.push(fieldErrors.required(`${field}[${i}].valueFrom.${ref}.key`));
        else errs.push(...each(isConfigMapKey(key), `${field}[${i}].valueFrom.${ref}.key`, key));
      }
    }
  });
  return errs;
}

function validateResources(res: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const r = obj(res);
  const parsed: Record<'limits' | 'requests', Map<string, number>> = { limits: new Map(), requests: new Map() };
  for (const kind of ['limits', 'requests'] as const) {
    for (const [name, q] of Object.entries(obj(r[kind]))) {
      const v = parseQuantity(q);
      if (v === undefined) {
        errs.push(fieldErrors.invalid(`${field}.${kind}[${name}]`, q, QUANTITY_FORMAT_MSG));
        continue;
      }
      if (v < 0) errs.push(fieldErrors.invalid(`${field}.${kind}[${name}]`, q, 'must be greater than or equal to 0'));
      parsed[kind].set(name, v);
    }
  }
  for (const [name, req] of parsed.requests) {
    const lim = parsed.limits.get(name);
    if (lim !== undefined && req > lim) {
      const limitText = String(obj(r['limits'])[name]);
      errs.push(fieldErrors.invalid(`${field}.requests`, String(obj(r['requests'])[name]), `must be less than or equal to ${name} limit of ${limitText}`));
    }
  }
  return errs;
}

function validateProbe(probe: unknown, field: string): FieldError[] {
  if (!isObject(probe)) return [];
  const errs: FieldError[] = [];
  const handlers = PROBE_HANDLERS.filter((h) => isObject(probe[h]));
  if (handlers.length === 0) errs.push(fieldErrors.required(field, 'must specify a handler type'));
  else if (handlers.length > 1) errs.push(fieldErrors.forbidden(`${field}.${handlers[1] ?? ''}`, 'may not specify more than 1 handler type'));
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...validateNonnegativeField(probe[k], `${field}.${k}`));
  }
  const http = probe['httpGet'];
  if (isObject(http)) {
    const port = http['port'];
    if (port === undefined || port === null || port === '' || port === 0) errs.push(fieldErrors.required(`${field}.httpGet.port`));
    if (typeof port === 'number') errs.push(...each(isValidPortNum(port), `${field}.httpGet.port`, port));
    if (typeof port === 'string' && !/^\d+$/.test(port)) errs.push(...each(isValidPortName(port), `${field}.httpGet.port`, port));
    const scheme = str(http['scheme']);
    if (scheme && scheme !== 'HTTP' && scheme !== 'HTTPS') errs.push(fieldErrors.notSupported(`${field}.httpGet.scheme`, scheme, ['HTTP', 'HTTPS']));
  }
  return errs;
}

function validateContainer(c: JsonObject, field: string, volumes: ReadonlySet<string>, init: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c['name']);
  if (!name) errs.push(fieldErrors.required(`${field}.name`));
  else errs.push(...each(isDNS1123Label(name), `${field}.name`, name));
  const image = str(c['image']);
  if (!image) errs.push(fieldErrors.required(`${field}.image`));
  else if (image.trim() !== image) errs.push(fieldErrors.invalid(`${field}.image`, image, 'must not have leading or trailing whitespace'));
  const pull = str(c['imagePullPolicy']);
  if (pull === undefined || pull === '') errs.push(fieldErrors.required(`${field}.imagePullPolicy`));
  else if (!PULL_POLICIES.includes(pull)) errs.push(fieldErrors.notSupported(`${field}.imagePullPolicy`, pull, PULL_POLICIES));
  const tmp = str(c['terminationMessagePolicy']);
  if (tmp !== undefined && !TERMINATION_MESSAGE_POLICIES.includes(tmp)) errs.push(fieldErrors.notSupported(`${field}.terminationMessagePolicy`, tmp, TERMINATION_MESSAGE_POLICIES));
  errs.push(...validatePorts(c['ports'], `${field}.ports`));
  errs.push(...validateEnv(c['env'], `${field}.env`));
  errs.push(...validateResources(c['resources'], `${field}.resources`));
  const mountPaths = new Set<string>();
  objects(c['volumeMounts']).forEach((m, i) => {
    const f = `${field}.volumeMounts[${i}]`;
    const vname = str(m['name']);
    if (!vname) errs.push(fieldErrors.required(`${f}.name`));
    // Upstream reports this as "Not found", a type our FieldError vocabulary lacks; Invalid carries the same fact.
    else if (!volumes.has(vname)) errs.push(fieldErrors.notFound(`${f}.name`, vname));
    const mp = str(m['mountPath']);
    if (!mp) errs.push(fieldErrors.required(`${f}.mountPath`));
    else {
      if (mountPaths.has(mp)) errs.push(fieldErrors.invalid(`${f}.mountPath`, mp, 'must be unique'));
      mountPaths.add(mp);
    }
  });
  // Init containers other than restartable sidecars may not have lifecycle probes.
  const sidecar = init && str(c['restartPolicy']) === 'Always';
  for (const p of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    if (init && !sidecar && isObject(c[p])) errs.push(fieldErrors.forbidden(`${field}.${p}`, 'may not be set for init containers without restartPolicy=Always'));
    else errs.push(...validateProbe(c[p], `${field}.${p}`));
  }
  const lp = obj(c['livenessProbe']);
  const st = num(lp['successThreshold']);
  if (st !== undefined && st !== 1) errs.push(fieldErrors.invalid(`${field}.livenessProbe.successThreshold`, st, 'must be 1'));
  return errs;
}

// Ephemeral containers are for debugging: no ports, probes, lifecycle or resources, and an existing target.
function validateEphemeralContainer(c: JsonObject, field: string, volumes: ReadonlySet<string>, containerNames: ReadonlySet<string>): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c['name']);
  if (!name) errs.push(fieldErrors.required(`${field}.name`));
  else errs.push(...each(isDNS1123Label(name), `${field}.name`, name));
  if (!str(c['image'])) errs.push(fieldErrors.required(`${field}.image`));
  for (const k of ['ports', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resources']) {
    const v = c[k];
    const set = Array.isArray(v) ? v.length > 0 : isObject(v) && Object.keys(v).length > 0;
    if (set) errs.push(fieldErrors.forbidden(`${field}.${k}`, 'cannot be set for an Ephemeral Container'));
  }
  const target = str(c['targetContainerName']);
  if (target && !containerNames.has(target)) errs.push(fieldErrors.invalid(`${field}.targetContainerName`, target, 'must be the name of a container in the pod'));
  errs.push(...validateEnv(c['env'], `${field}.env`));
  objects(c['volumeMounts']).forEach((m, i) => {
    const vname = str(m['name']);
    if (vname && !volumes.has(vname)) errs.push(fieldErrors.notFound(`${field}.volumeMounts[${i}].name`, vname));
  });
  return errs;
}

function validateVolumes(volumes: unknown, field: string): { errs: FieldError[]; names: Set<string> } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  objects(volumes).forEach((v, i) => {
    const f = `${field}[${i}]`;
    const name = str(v['name']);
    if (!name) errs.push(fieldErrors.required(`${f}.name`));
    else {
      errs.push(...each(isDNS1123Label(name), `${f}.name`, name));
      if (names.has(name)) errs.push(fieldErrors.duplicate(`${f}.name`, name));
      names.add(name);
    }
    const sources = Object.keys(v).filter((k) => k !== 'name' && isObject(v[k]));
    if (sources.length === 0) errs.push(fieldErrors.required(f, 'must specify a volume type'));
    else if (sources.length > 1) errs.push(fieldErrors.forbidden(`${f}.${sources[1] ?? ''}`, 'may not specify more than 1 volume type'));
    const cm = v['configMap'];
    if (isObject(cm) && !str(cm['name'])) errs.push(fieldErrors.required(`${f}.configMap.name`));
    const secret = v['secret'];
    if (isObject(secret) && !str(secret['secretName'])) errs.push(fieldErrors.required(`${f}.secret.secretName`));
    const pvc = v['persistentVolumeClaim'];
    if (isObject(pvc) && !str(pvc['claimName'])) errs.push(fieldErrors.required(`${f}.persistentVolumeClaim.claimName`));
    const hp = v['hostPath'];
    if (isObject(hp) && !str(hp['path'])) errs.push(fieldErrors.required(`${f}.hostPath.path`));
  });
  return { errs, names };
}

function validateTolerations(tols: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  objects(tols).forEach((t, i) => {
    const f = `${field}[${i}]`;
    const key = str(t['key']) ?? '';
    const op = str(t['operator']) ?? 'Equal';
    if (key) errs.push(...each(isQualifiedKey(key), `${f}.key`, key));
    if (!key && op !== 'Exists') errs.push(fieldErrors.invalid(`${f}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (!TOLERATION_OPERATORS.includes(op)) errs.push(fieldErrors.notSupported(`${f}.operator`, op, TOLERATION_OPERATORS));
    if (op === 'Exists' && str(t['value'])) errs.push(fieldErrors.invalid(`${f}.operator`, t, 'value must be empty when `operator` is \'Exists\''));
    const effect = str(t['effect']);
    if (effect && !TAINT_EFFECTS.includes(effect)) errs.push(fieldErrors.notSupported(`${f}.effect`, effect, TAINT_EFFECTS));
    if (t['tolerationSeconds'] !== undefined && t['tolerationSeconds'] !== null && effect !== 'NoExecute') {
      errs.push(fieldErrors.invalid(`${f}.effect`, effect ?? '', 'effect must be \'NoExecute\' when `tolerationSeconds` is set'));
    }
  });
  return errs;
}

function isQualifiedKey(key: string): string[] {
  const slash = key.split('/');
  if (slash.length > 2) return ['a qualified name must have at most one "/"'];
  const name = slash[slash.length - 1] ?? '';
  const errs: string[] = [];
  if (slash.length === 2) errs.push(...isDNS1123Subdomain(slash[0] ?? '').map((m) => `prefix part ${m}`));
  if (!/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(name) || name.length > 63) errs.push('name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character');
  return errs;
}

const NODE_SELECTOR_OPERATORS = ['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn'];

function validateNodeSelectorTerm(term: JsonObject, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const key of ['matchExpressions', 'matchFields']) {
    objects(term[key]).forEach((req, i) => {
      const f = `${field}.${key}[${i}]`;
      const k = str(req['key']) ?? '';
      if (key === 'matchExpressions') errs.push(...each(isQualifiedKey(k), `${f}.key`, k));
      const op = str(req['operator']) ?? '';
      const values = list(req['values']);
      if (!NODE_SELECTOR_OPERATORS.includes(op)) errs.push(fieldErrors.notSupported(`${f}.operator`, op, NODE_SELECTOR_OPERATORS));
      else if ((op === 'In' || op === 'NotIn') && values.length === 0) errs.push(fieldErrors.required(`${f}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
      else if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) errs.push(fieldErrors.forbidden(`${f}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
      else if ((op === 'Gt' || op === 'Lt') && values.length !== 1) errs.push(fieldErrors.required(`${f}.values`, 'must be specified single value when `operator` is \'Lt\' or \'Gt\''));
    });
  }
  return errs;
}

function validateAffinity(affinity: unknown, field: string): FieldError[] {
  if (!isObject(affinity)) return [];
  const errs: FieldError[] = [];
  const na = obj(affinity['nodeAffinity']);
  const required = na['requiredDuringSchedulingIgnoredDuringExecution'];
  if (isObject(required)) {
    const terms = objects(required['nodeSelectorTerms']);
    const f = `${field}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
    if (terms.length === 0) errs.push(fieldErrors.required(f, 'must have at least one node selector term'));
    terms.forEach((t, i) => errs.push(...validateNodeSelectorTerm(t, `${f}[${i}]`)));
  }
  objects(na['preferredDuringSchedulingIgnoredDuringExecution']).forEach((p, i) => {
    const f = `${field}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    const w = num(p['weight']);
    if (w === undefined || w < 1 || w > 100) errs.push(fieldErrors.invalid(`${f}.weight`, w ?? 0, 'must be in the range 1-100'));
    errs.push(...validateNodeSelectorTerm(obj(p['preference']), `${f}.preference`));
  });
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const pa = obj(affinity[kind]);
    objects(pa['requiredDuringSchedulingIgnoredDuringExecution']).forEach((t, i) => {
      if (!str(t['topologyKey'])) errs.push(fieldErrors.required(`${field}.${kind}.requiredDuringSchedulingIgnoredDuringExecution[${i}].topologyKey`, 'can not be empty'));
    });
    objects(pa['preferredDuringSchedulingIgnoredDuringExecution']).forEach((p, i) => {
      const f = `${field}.${kind}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      const w = num(p['weight']);
      if (w === undefined || w < 1 || w > 100) errs.push(fieldErrors.invalid(`${f}.weight`, w ?? 0, 'must be in the range 1-100'));
      if (!str(obj(p['podAffinityTerm'])['topologyKey'])) errs.push(fieldErrors.required(`${f}.podAffinityTerm.topologyKey`, 'can not be empty'));
    });
  }
  return errs;
}

const UNSATISFIABLE_ACTIONS = ['DoNotSchedule', 'ScheduleAnyway'];

function validateTopologySpreadConstraints(constraints: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  objects(constraints).forEach((c, i) => {
    const f = `${field}[${i}]`;
    const skew = num(c['maxSkew']);
    if (skew === undefined || skew <= 0) errs.push(fieldErrors.invalid(`${f}.maxSkew`, skew ?? 0, 'must be greater than zero'));
    const key = str(c['topologyKey']) ?? '';
    if (!key) errs.push(fieldErrors.required(`${f}.topologyKey`, 'can not be empty'));
    const action = str(c['whenUnsatisfiable']) ?? '';
    if (!UNSATISFIABLE_ACTIONS.includes(action)) errs.push(fieldErrors.notSupported(`${f}.whenUnsatisfiable`, action, UNSATISFIABLE_ACTIONS));
    const pair = `${key}/${action}`;
    if (seen.has(pair)) errs.push(fieldErrors.duplicate(`${f}.{topologyKey, whenUnsatisfiable}`, pair));
    seen.add(pair);
    const minDomains = num(c['minDomains']);
    if (minDomains !== undefined && minDomains <= 0) errs.push(fieldErrors.invalid(`${f}.minDomains`, minDomains, 'must be greater than 0'));
  });
  return errs;
}

/** validatePodSpec validates a PodSpec at `field` (e.g. "spec" or "spec.template.spec"). */
export function validatePodSpec(spec: unknown, field: string, opts: PodSpecOptions = {}): FieldError[] {
  const s = obj(spec);
  const errs: FieldError[] = [];
  const { errs: volErrs, names: volumes } = validateVolumes(s['volumes'], `${field}.volumes`);
  errs.push(...volErrs);
  const containers = objects(s['containers']);
  if (containers.length === 0) errs.push(fieldErrors.required(`${field}.containers`));
  const names = new Set<string>();
  const checkName = (c: JsonObject, f: string): void => {
    const n = str(c['name']);
    if (!n) return;
    if (names.has(n)) errs.push(fieldErrors.duplicate(`${f}.name`, n));
    names.add(n);
  };
  objects(s['initContainers']).forEach((c, i) => {
    const f = `${field}.initContainers[${i}]`;
    errs.push(...validateContainer(c, f, volumes, true));
    const rp = str(c['restartPolicy']);
    if (rp !== undefined && rp !== 'Always') errs.push(fieldErrors.notSupported(`${f}.restartPolicy`, rp, ['Always']));
    checkName(c, f);
  });
  containers.forEach((c, i) => {
    const f = `${field}.containers[${i}]`;
    errs.push(...validateContainer(c, f, volumes, false));
    if (c['restartPolicy'] !== undefined) errs.push(fieldErrors.forbidden(`${f}.restartPolicy`, 'may not be set for non-init containers'));
    checkName(c, f);
  });
  objects(s['ephemeralContainers']).forEach((c, i) => {
    const f = `${field}.ephemeralContainers[${i}]`;
    errs.push(...validateEphemeralContainer(c, f, volumes, names));
    checkName(c, f);
  });
  const allowed = opts.restartPolicies ?? RESTART_POLICIES;
  const rp = str(s['restartPolicy']);
  if (!rp) errs.push(fieldErrors.required(`${field}.restartPolicy`));
  else if (!allowed.includes(rp)) errs.push(fieldErrors.notSupported(`${field}.restartPolicy`, rp, allowed));
  const dns = str(s['dnsPolicy']);
  if (!dns) errs.push(fieldErrors.required(`${field}.dnsPolicy`));
  else if (!DNS_POLICIES.includes(dns)) errs.push(fieldErrors.notSupported(`${field}.dnsPolicy`, dns, DNS_POLICIES));
  if (dns === 'None' && !isObject(s['dnsConfig'])) errs.push(fieldErrors.required(`${field}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  const ads = s['activeDeadlineSeconds'];
  if (typeof ads === 'number' && (ads < 1 || ads > 2147483647 || !Number.isInteger(ads))) {
    errs.push(fieldErrors.invalid(`${field}.activeDeadlineSeconds`, ads, inclusiveRangeError(1, 2147483647)));
  }
  errs.push(...validateLabels(s['nodeSelector'], `${field}.nodeSelector`));
  for (const k of ['hostname', 'subdomain']) {
    const v = str(s[k]);
    if (v) errs.push(...each(isDNS1123Label(v), `${field}.${k}`, v));
  }
  const sa = str(s['serviceAccountName']);
  if (sa) errs.push(...each(isDNS1123Subdomain(sa), `${field}.serviceAccountName`, sa));
  const nodeName = str(s['nodeName']);
  if (nodeName) errs.push(...each(isDNS1123Subdomain(nodeName), `${field}.nodeName`, nodeName));
  errs.push(...validateTolerations(s['tolerations'], `${field}.tolerations`));
  errs.push(...validateAffinity(s['affinity'], `${field}.affinity`));
  errs.push(...validateTopologySpreadConstraints(s['topologySpreadConstraints'], `${field}.topologySpreadConstraints`));
  const pc = str(s['priorityClassName']);
  if (pc) errs.push(...each(isDNS1123Subdomain(pc), `${field}.priorityClassName`, pc));
  const pp = str(s['preemptionPolicy']);
  if (pp && pp !== 'Never' && pp !== 'PreemptLowerPriority') errs.push(fieldErrors.notSupported(`${field}.preemptionPolicy`, pp, ['Never', 'PreemptLowerPriority']));
  if (s['hostNetwork'] === true) {
    containers.forEach((c, i) =>
      objects(c['ports']).forEach((p, j) => {
        const hp = num(p['hostPort']);
        const cp = num(p['containerPort']);
        if (hp !== undefined && hp !== 0 && hp !== cp) {
          errs.push(fieldErrors.invalid(`${field}.containers[${i}].ports[${j}].hostPort`, hp, 'must match `containerPort` when `hostNetwork` is true'));
        }
      }),
    );
  }
  return errs;
}

/** validatePod validates a new Pod. */
export function validatePod(pod: KubeObject): FieldError[] {
  return [...validateObjectMeta(pod.metadata, { namespaced: true }), ...validatePodSpec(pod['spec'], 'spec')];
}

/** POD_UPDATE_FORBIDDEN_MSG is upstream's text for changing an immutable part of a pod's spec. */
export const POD_UPDATE_FORBIDDEN_MSG =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** validatePodUpdate validates a Pod update: metadata rules, the new spec, and the mostly-immutable spec. */
export function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  return [...validateObjectMetaUpdate(pod.metadata, old.metadata, { namespaced: true }), ...validatePodSpec(pod['spec'], 'spec'), ...validatePodSpecUpdate(pod, old)];
}

/** validatePodSpecUpdate reports a change to any part of a pod's spec that may not change after creation. */
export function validatePodSpecUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(pod['spec']);
  const oldSpec = obj(old['spec']);
  // Start from the old spec, carry over the fields that may change, and any remaining difference is forbidden.
  const mutable: JsonObject = structuredClone(oldSpec);
  for (const key of ['containers', 'initContainers'] as const) {
    const newList = objects(spec[key]);
    const merged = objects(mutable[key]);
    merged.forEach((c, i) => {
      const img = newList[i]?.['image'];
      if (img !== undefined) c['image'] = img;
    });
  }
  const oldAds = num(oldSpec['activeDeadlineSeconds']);
  const newAds = num(spec['activeDeadlineSeconds']);
  // activeDeadlineSeconds may be set when unset, or lowered, never raised or removed.
  if (newAds !== undefined && (oldAds === undefined || newAds <= oldAds)) mutable['activeDeadlineSeconds'] = newAds;
  const oldTols = list(oldSpec['tolerations']);
  const newTols = list(spec['tolerations']);
  if (oldTols.every((t) => newTols.some((n) => semanticEqual(n, t) || tolerationSecondsOnlyLowered(n, t)))) mutable['tolerations'] = spec['tolerations'];
  const oldGrace = num(oldSpec['terminationGracePeriodSeconds']);
  if (oldGrace !== undefined && oldGrace < 0 && num(spec['terminationGracePeriodSeconds']) === 1) mutable['terminationGracePeriodSeconds'] = 1;
  // Scheduling gates may only be removed; nodeSelector/affinity additions are allowed while gated.
  const oldGates = objects(oldSpec['schedulingGates']);
  const newGates = objects(spec['schedulingGates']);
  if (newGates.every((g) => oldGates.some((o) => semanticEqual(o, g)))) {
    mutable['schedulingGates'] = spec['schedulingGates'];
    if (oldGates.length > 0) {
      mutable['nodeSelector'] = spec['nodeSelector'];
      mutable['affinity'] = spec['affinity'];
    }
  }
  // Ephemeral containers may only be added (through the ephemeralcontainers subresource), never changed or
  // removed; they are matched by name, as upstream, and each offence is reported on its own.
  const newEph = new Map(objects(spec['ephemeralContainers']).map((c) => [str(c['name']) ?? '', c]));
  for (const o of objects(oldSpec['ephemeralContainers'])) {
    const name = str(o['name']) ?? '';
    const now = newEph.get(name);
    if (now === undefined) errs.push(fieldErrors.forbidden('spec.ephemeralContainers', `existing ephemeral containers "${name}" may not be removed`));
    else if (!semanticEqual(o, now)) errs.push(fieldErrors.forbidden(`spec.ephemeralContainers[${name}]`, `existing ephemeral containers "${name}" may not be changed`));
  }
  mutable['ephemeralContainers'] = spec['ephemeralContainers'];
  if (!semanticEqual(mutable, spec)) errs.push(fieldErrors.forbidden('spec', POD_UPDATE_FORBIDDEN_MSG));
  return errs;
}

function tolerationSecondsOnlyLowered(n: unknown, o: unknown): boolean {
  const a = obj(n);
  const b = obj(o);
  const { tolerationSeconds: as, ...restA } = a;
  const { tolerationSeconds: bs, ...restB } = b;
  return semanticEqual(restA, restB) && typeof as === 'number' && typeof bs === 'number' && as <= bs;
}

/** validatePodTemplateSpec validates `template` at `field` (e.g. "spec.template"): its labels, annotations and spec. */
export function validatePodTemplateSpec(template: unknown, field: string, opts: PodSpecOptions = {}): FieldError[] {
  const t = obj(template);
  const meta = obj(t['metadata']) as ObjectMeta;
  return [
    ...validateLabels(meta.labels, `${field}.metadata.labels`),
    ...validateAnnotations(meta.annotations, `${field}.metadata.annotations`),
    ...validatePodSpec(t['spec'], `${field}.spec`, opts),
  ];
}
