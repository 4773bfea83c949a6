/**
 * The autoscaling/v2 HorizontalPodAutoscaler as the controller reads and writes it (the parts it uses). Quantities
 * stay strings on the wire; the controller works in milli-units (see quantity.ts).
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { LabelSelectorObject } from '../../api/meta/labels.js';

/** CrossVersionObjectReference names the scale target or an Object metric's object. */
export interface CrossVersionObjectReference {
  apiVersion?: string;
  kind: string;
  name: string;
}

/** MetricIdentifier names a metric and optionally selects its series. */
export interface MetricIdentifier {
  name: string;
  selector?: LabelSelectorObject | null;
}

/** MetricTarget is a Utilization, Value or AverageValue target. */
export interface MetricTarget {
  type: 'Utilization' | 'Value' | 'AverageValue' | string;
  value?: string | number;
  averageValue?: string | number;
  averageUtilization?: number;
}

/** MetricValueStatus is a metric's current value in the status. */
export interface MetricValueStatus {
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}

/** MetricSpec is one entry of spec.metrics. */
export interface MetricSpec {
  type: 'Resource' | 'ContainerResource' | 'Pods' | 'Object' | 'External' | string;
  resource?: { name: string; target: MetricTarget };
  containerResource?: { name: string; container: string; target: MetricTarget };
  pods?: { metric: MetricIdentifier; target: MetricTarget };
  object?: { describedObject: CrossVersionObjectReference; metric: MetricIdentifier; target: MetricTarget };
  external?: { metric: MetricIdentifier; target: MetricTarget };
}

/** MetricStatus is one entry of status.currentMetrics (`{type: ""}` for a metric that could not be read, as upstream). */
export interface MetricStatus {
  type: string;
  resource?: { name: string; current: MetricValueStatus };
  containerResource?: { name: string; container: string; current: MetricValueStatus };
  pods?: { metric: MetricIdentifier; current: MetricValueStatus };
  object?: { describedObject: CrossVersionObjectReference; metric: MetricIdentifier; current: MetricValueStatus };
  external?: { metric: MetricIdentifier; current: MetricValueStatus };
}

/** HPAScalingPolicy limits the change within periodSeconds. */
export interface HPAScalingPolicy {
  type: 'Pods' | 'Percent' | string;
  value: number;
  periodSeconds: number;
}

/** HPAScalingRules is one direction of spec.behavior. */
export interface HPAScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled' | string;
  policies?: HPAScalingPolicy[];
}

/** HorizontalPodAutoscalerBehavior is spec.behavior. */
export interface HorizontalPodAutoscalerBehavior {
  scaleUp?: HPAScalingRules;
  scaleDown?: HPAScalingRules;
}

/** HorizontalPodAutoscalerCondition is one status condition (AbleToScale, ScalingActive, ScalingLimited). */
export interface HorizontalPodAutoscalerCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** HorizontalPodAutoscalerStatus is the status the controller writes. */
export interface HorizontalPodAutoscalerStatus {
  observedGeneration?: number;
  lastScaleTime?: string;
  currentReplicas?: number;
  desiredReplicas: number;
  currentMetrics?: MetricStatus[];
  conditions?: HorizontalPodAutoscalerCondition[];
}

/** HorizontalPodAutoscaler is autoscaling/v2 HorizontalPodAutoscaler. */
export interface HorizontalPodAutoscaler extends KubeObject {
  spec?: {
    scaleTargetRef: CrossVersionObjectReference;
    minReplicas?: number;
    maxReplicas: number;
    metrics?: MetricSpec[];
    behavior?: HorizontalPodAutoscalerBehavior;
  };
  status?: HorizontalPodAutoscalerStatus;
}

/** Scale is autoscaling/v1 Scale, the target's `/scale` subresource. */
export interface Scale extends KubeObject {
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

/** Result is an expected outcome: a value, or a one-line reason why there is none. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** ok wraps a value. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** failed wraps a reason. */
export function failed<T>(error: string): Result<T> {
  return { ok: false, error };
}
