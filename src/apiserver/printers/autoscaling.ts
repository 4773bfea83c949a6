/**
 * HorizontalPodAutoscaler table: REFERENCE (`Deployment/web`), TARGETS (`cpu: 10%/50%`, `cpu: <unknown>/80%`),
 * MINPODS, MAXPODS, REPLICAS. Reads autoscaling/v2 objects and v1 objects (targetCPUUtilizationPercentage).
 */
import type { KubeObject } from '../../api/meta/types.js';
import { isObject, num, obj, objects, str, type JsonObject } from '../../api/validation/unstructured.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import { formatQuantity, isBinaryQuantity } from '../admission/quantity-format.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, column, NAME_COLUMN, nameOf } from './columns.js';
import type { TableConvertor } from './table.js';

/** q prints a quantity as upstream's Quantity.String() does: canonical (`1000m` → `1`, `1536Mi` stays). */
function q(v: unknown): string {
  if (typeof v !== 'string' && typeof v !== 'number') return '<unknown>';
  const value = parseQuantity(v);
  return value === undefined ? String(v) : formatQuantity(value, isBinaryQuantity(v));
}

/** current reads `status.<key>.current.<field>` when that metric's status is present. */
function current(status: JsonObject | undefined, key: string, field: string): string {
  if (!status || !isObject(status[key])) return '<unknown>';
  const v = obj(obj(status[key])['current'])[field];
  return v === undefined ? '<unknown>' : q(v);
}

function metricText(spec: JsonObject, status: JsonObject | undefined): string {
  const type = str(spec['type']);
  switch (type) {
    case 'Resource':
    case 'ContainerResource': {
      const key = type === 'Resource' ? 'resource' : 'containerResource';
      const s = obj(spec[key]);
      const target = obj(s['target']);
      const name = str(s['name']) ?? '';
      if (target['averageValue'] !== undefined) return `${name}: ${current(status, key, 'averageValue')}/${q(target['averageValue'])}`;
      const util = status && isObject(status[key]) ? num(obj(obj(status[key])['current'])['averageUtilization']) : undefined;
      const tu = num(target['averageUtilization']);
      return `${name}: ${util !== undefined ? `${util}%` : '<unknown>'}/${tu !== undefined ? `${tu}%` : '<auto>'}`;
    }
    case 'Pods':
      return `${current(status, 'pods', 'averageValue')}/${q(obj(obj(spec['pods'])['target'])['averageValue'])}`;
    case 'Object':
    case 'External': {
      const key = type === 'Object' ? 'object' : 'external';
      const target = obj(obj(spec[key])['target']);
      // The target kind decides which current value is shown, and "(avg)" marks an AverageValue target.
      if (target['averageValue'] !== undefined) return `${current(status, key, 'averageValue')}/${q(target['averageValue'])} (avg)`;
      return `${current(status, key, 'value')}/${q(target['value'])}`;
    }
    default:
      return '<unknown type>';
  }
}

/** hpaTargets renders TARGETS: at most two metrics then ` + N more...`, `<none>` without metrics. */
export function hpaTargets(hpa: KubeObject): string {
  const spec = obj(hpa['spec']);
  const status = obj(hpa['status']);
  const v1Target = num(spec['targetCPUUtilizationPercentage']);
  if (v1Target !== undefined || hpa['apiVersion'] === 'autoscaling/v1') {
    const cur = num(status['currentCPUUtilizationPercentage']);
    return `cpu: ${cur !== undefined ? `${cur}%` : '<unknown>'}/${v1Target !== undefined ? `${v1Target}%` : '<auto>'}`;
  }
  const specs = objects(spec['metrics']);
  if (specs.length === 0) return '<none>';
  const statuses = objects(status['currentMetrics']);
  const parts = specs.slice(0, 2).map((s, i) => metricText(s, statuses[i]));
  const joined = parts.join(', ');
  return specs.length > 2 ? `${joined} + ${specs.length - 2} more...` : joined;
}

/** horizontalPodAutoscalerTable renders horizontalpodautoscalers. */
export const horizontalPodAutoscalerTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Reference', { description: 'reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource.' }),
    column('Targets', { description: 'metrics contains the specifications for which to use to calculate the desired replica count.' }),
    column('MinPods', { description: 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.' }),
    column('MaxPods', { type: 'integer', description: 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.' }),
    column('Replicas', { type: 'integer', description: 'currentReplicas is current number of replicas of pods managed by this autoscaler.' }),
    AGE_COLUMN,
  ],
  cells(hpa, now) {
    const spec = obj(hpa['spec']);
    const ref = obj(spec['scaleTargetRef']);
    const min = num(spec['minReplicas']);
    return [
      nameOf(hpa),
      `${str(ref['kind']) ?? ''}/${str(ref['name']) ?? ''}`,
      hpaTargets(hpa),
      min !== undefined ? String(min) : '<unset>',
      num(spec['maxReplicas']) ?? 0,
      num(obj(hpa['status'])['currentReplicas']) ?? 0,
      translateTimestampSince(hpa.metadata?.creationTimestamp, now),
    ];
  },
};
