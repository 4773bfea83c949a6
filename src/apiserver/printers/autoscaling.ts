/**
 * HorizontalPodAutoscaler table: REFERENCE (`Deployment/web`), TARGETS (`cpu: 10%/50%`, `cpu: <unknown>/80%`),
 * MINPODS, MAXPODS, REPLICAS. Reads autoscaling/v2 objects and v1 objects (targetCPUUtilizationPercentage).
 */
import type { KubeObject } from '../../api/meta/types.js';
import { isObject, num, obj, objects, str, type JsonObject } from '../../api/validation/unstructured.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, column, NAME_COLUMN, nameOf } from './columns.js';
import type { TableConvertor } from './table.js';

function q(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '<unknown>';
}

function targetValue(target: JsonObject): string {
  if (target['averageValue'] !== undefined) return q(target['averageValue']);
  return q(target['value']);
}

function currentValue(current: JsonObject | undefined): string {
  if (!current) return '<unknown>';
  if (current['averageValue'] !== undefined) return q(current['averageValue']);
  if (current['value'] !== undefined) return q(current['value']);
  return '<unknown>';
}

function metricText(spec: JsonObject, status: JsonObject | undefined): string {
  const type = str(spec['type']);
  switch (type) {
    case 'Resource':
    case 'ContainerResource': {
      const key = type === 'Resource' ? 'resource' : 'containerResource';
      const s = obj(spec[key]);
      const target = obj(s['target']);
      const cur = status && isObject(status[key]) ? obj(obj(status[key])['current']) : undefined;
      const name = str(s['name']) ?? '';
      if (target['averageValue'] !== undefined) return `${name}: ${cur ? q(cur['averageValue']) : '<unknown>'}/${q(target['averageValue'])}`;
      const util = cur ? num(cur['averageUtilization']) : undefined;
      const tu = num(target['averageUtilization']);
      return `${name}: ${util !== undefined ? `${util}%` : '<unknown>'}/${tu !== undefined ? `${tu}%` : '<auto>'}`;
    }
    case 'Pods':
    case 'Object':
    case 'External': {
      const key = type === 'Pods' ? 'pods' : type === 'Object' ? 'object' : 'external';
      const target = obj(obj(spec[key])['target']);
      const cur = status && isObject(status[key]) ? obj(obj(status[key])['current']) : undefined;
      const avg = type !== 'Pods' && target['averageValue'] !== undefined ? ' (avg)' : '';
      return `${currentValue(cur)}/${targetValue(target)}${avg}`;
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
