/**
 * LimitRanger: the LimitRanges of a namespace default the resources of new pods' containers (`default` →
 * limits, `defaultRequest` → requests, noted in the `kubernetes.io/limit-ranger` annotation) and bound them
 * (`min`, `max`, `maxLimitRequestRatio` per Container and per Pod; `min`/`max` storage per PersistentVolumeClaim).
 */
import { parseQuantity } from '../../api/validation/quantity.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import { admissionForbidden } from './admission-forbidden.js';
import type { ObjectReader } from './object-reader.js';
import { asRecord, asRecords, type JsonRecord } from './pod-containers.js';
import { formatQuantity, isBinaryQuantity } from './quantity-format.js';

/** The annotation naming what LimitRanger set. */
export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

interface Resources {
  requests: JsonRecord;
  limits: JsonRecord;
}

function resourcesOf(container: JsonRecord): Resources {
  const r = asRecord(container['resources']);
  return { requests: asRecord(r['requests']), limits: asRecord(r['limits']) };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

/** LimitRanger is upstream's LimitRanger plugin. */
export class LimitRanger implements AdmissionPlugin {
  readonly name = 'LimitRanger';
  readonly #reader: ObjectReader;

  constructor(reader: ObjectReader) {
    this.#reader = reader;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && a.group === '' && a.subresource === '' && (a.resource === 'pods' || a.resource === 'persistentvolumeclaims');
  }

  async #limits(namespace: string, type: string): Promise<JsonRecord[]> {
    const ranges = await this.#reader.list('', 'limitranges', namespace);
    return ranges.flatMap((lr) => asRecords(asRecord(lr['spec'])['limits'])).filter((l) => l['type'] === type);
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    const pod = a.object;
    if (!pod || a.resource !== 'pods') return;
    const limits = await this.#limits(a.namespace, 'Container');
    if (limits.length === 0) return;
    const spec = asRecord(pod['spec']);
    const notes: string[] = [];
    for (const [field, label] of [['initContainers', 'init container'], ['containers', 'container']] as const) {
      for (const container of asRecords(spec[field])) {
        const res = resourcesOf(container);
        const setRequests = new Set<string>();
        const setLimits = new Set<string>();
        for (const limit of limits) {
          for (const [k, v] of Object.entries(asRecord(limit['default']))) {
            if (res.limits[k] === undefined) {
              res.limits[k] = v;
              setLimits.add(k);
            }
          }
          for (const [k, v] of Object.entries(asRecord(limit['defaultRequest']))) {
            if (res.requests[k] === undefined) {
              res.requests[k] = v;
              setRequests.add(k);
            }
          }
        }
        if (setRequests.size === 0 && setLimits.size === 0) continue;
        const resources = asRecord(container['resources']);
        if (Object.keys(res.requests).length > 0) resources['requests'] = res.requests;
        if (Object.keys(res.limits).length > 0) resources['limits'] = res.limits;
        container['resources'] = resources;
        const name = text(container['name']);
        if (setRequests.size > 0) notes.push(`${[...setRequests].sort().join(', ')} request for ${label} ${name}`);
        if (setLimits.size > 0) notes.push(`${[...setLimits].sort().join(', ')} limit for ${label} ${name}`);
      }
    }
    if (notes.length > 0) {
      const md = (pod.metadata ??= {});
      md.annotations = { ...md.annotations, [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
    }
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    const obj = a.object;
    if (!obj) return;
    const problems: string[] = [];
    if (a.resource === 'pods') {
      const spec = asRecord(obj['spec']);
      const containers = asRecords(spec['containers']);
      for (const limit of await this.#limits(a.namespace, 'Container')) {
        for (const c of [...asRecords(spec['initContainers']), ...containers]) problems.push(...check(limit, 'Container', resourcesOf(c)));
      }
      const podLimits = await this.#limits(a.namespace, 'Pod');
      if (podLimits.length > 0) {
        const total: Resources = { requests: {}, limits: {} };
        for (const c of containers) {
          const r = resourcesOf(c);
          for (const side of ['requests', 'limits'] as const) {
            for (const [k, v] of Object.entries(r[side])) {
              const sum = (parseQuantity(total[side][k]) ?? 0) + (parseQuantity(v) ?? 0);
              total[side][k] = formatQuantity(sum, isBinaryQuantity(v));
            }
          }
        }
        for (const limit of podLimits) problems.push(...check(limit, 'Pod', total));
      }
    } else {
      const r = asRecord(asRecord(obj['spec'])['resources']);
      const res: Resources = { requests: asRecord(r['requests']), limits: asRecord(r['limits']) };
      for (const limit of await this.#limits(a.namespace, 'PersistentVolumeClaim')) problems.push(...check(limit, 'PersistentVolumeClaim', res));
    }
    if (problems.length === 1) throw admissionForbidden(a, problems[0] ?? '');
    if (problems.length > 1) throw admissionForbidden(a, `[${problems.join(', ')}]`);
  }
}

/** check compares one object's (or pod's summed) resources with one LimitRange item; returns upstream's messages. */
function check(limit: JsonRecord, type: string, res: Resources): string[] {
  const out: string[] = [];
  for (const [k, min] of Object.entries(asRecord(limit['min']))) {
    const m = parseQuantity(min) ?? 0;
    const req = res.requests[k];
    const lim = res.limits[k];
    if (req === undefined) out.push(`minimum ${k} usage per ${type} is ${text(min)}.  No request is specified`);
    else if ((parseQuantity(req) ?? 0) < m) out.push(`minimum ${k} usage per ${type} is ${text(min)}, but request is ${text(req)}`);
    if (lim !== undefined && (parseQuantity(lim) ?? 0) < m) out.push(`minimum ${k} usage per ${type} is ${text(min)}, but limit is ${text(lim)}`);
  }
  for (const [k, max] of Object.entries(asRecord(limit['max']))) {
    const m = parseQuantity(max) ?? 0;
    const req = res.requests[k];
    const lim = res.limits[k];
    if (lim === undefined && type !== 'PersistentVolumeClaim') out.push(`maximum ${k} usage per ${type} is ${text(max)}.  No limit is specified`);
    else if (lim !== undefined && (parseQuantity(lim) ?? 0) > m) out.push(`maximum ${k} usage per ${type} is ${text(max)}, but limit is ${text(lim)}`);
    if (req !== undefined && (parseQuantity(req) ?? 0) > m) out.push(`maximum ${k} usage per ${type} is ${text(max)}, but request is ${text(req)}`);
  }
  for (const [k, ratio] of Object.entries(asRecord(limit['maxLimitRequestRatio']))) {
    const req = parseQuantity(res.requests[k]);
    const lim = parseQuantity(res.limits[k]);
    if (lim === undefined) {
      out.push(`${k} max limit to request ratio per ${type} is ${text(ratio)}, but no limit is specified`);
      continue;
    }
    if (req === undefined || req === 0) {
      out.push(`${k} max limit to request ratio per ${type} is ${text(ratio)}, but no request is specified or request is 0`);
      continue;
    }
    const actual = lim / req;
    if (actual > (parseQuantity(ratio) ?? Infinity)) out.push(`${k} max limit to request ratio per ${type} is ${text(ratio)}, but provided ratio is ${actual.toFixed(6)}`);
  }
  return out;
}
