/**
 * ExternalMetricSource (`metrics.tkube.io/v1alpha1`, namespaced): an HTTP endpoint outside the cluster's pods whose
 * numbers become external metrics of its namespace. It is a CustomResourceDefinition the server installs at boot
 * (so it is an ordinary API object: kubectl, RBAC, watch and status all come with the CRD machinery, and nothing in
 * the API server had to learn a new kind).
 *
 *   spec.url              http(s) URL to GET
 *   spec.intervalSeconds  how often (default: the server's --metrics-scrape-interval)
 *   spec.timeoutSeconds   per request (default: min(10, interval))
 *   spec.metrics[]        name (the metric name served), and where its value comes from:
 *                           series: a Prometheus series name in the body (default: `name`), or
 *                           jsonPath: a path to a number in a JSON body (`$.stats.backlog`);
 *                         matchLabels (only series with these labels), labels (added to the series' labels)
 *                         No `metrics` at all: every series of a Prometheus body is served under its own name.
 *   status.lastScrapeTime, status.lastError, status.values[] ({name, labels, value})
 *
 * parseExternalMetricSource turns an object into a validated spec or a list of problems (reported in
 * status.lastError), never an exception.
 */
import type { KubeObject } from '../api/meta/types.js';
import { parseJsonValuePath, type JsonPathStep } from './json-value-path.js';

export const EXTERNAL_METRIC_SOURCE_GROUP = 'metrics.tkube.io';
export const EXTERNAL_METRIC_SOURCE_VERSION = 'v1alpha1';
export const EXTERNAL_METRIC_SOURCE_RESOURCE = 'externalmetricsources';
export const EXTERNAL_METRIC_SOURCE_KIND = 'ExternalMetricSource';

/** ExternalMetricMapping says where one served metric's value comes from. */
export type ExternalMetricMapping =
  | {
      readonly name: string;
      readonly series: string;
      readonly matchLabels: Readonly<Record<string, string>>;
      readonly labels: Readonly<Record<string, string>>;
    }
  | {
      readonly name: string;
      readonly jsonPath: readonly JsonPathStep[];
      readonly labels: Readonly<Record<string, string>>;
    };

/** ExternalMetricSourceSpec is a parsed, valid spec. */
export interface ExternalMetricSourceSpec {
  readonly url: string;
  /** Undefined: the collector's default interval. */
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  /** Empty: every series of a Prometheus body under its own name. */
  readonly metrics: readonly ExternalMetricMapping[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function stringMap(value: unknown, field: string, problems: string[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${field}: must be a map of strings`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') problems.push(`${field}.${k}: must be a string`);
    else out[k] = v;
  }
  return out;
}

function positiveSeconds(value: unknown, field: string, problems: string[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    problems.push(`${field}: must be a positive number of seconds`);
    return undefined;
  }
  return Math.round(value * 1000);
}

/** parseExternalMetricSource validates an ExternalMetricSource's spec. */
export function parseExternalMetricSource(obj: KubeObject): { spec: ExternalMetricSourceSpec } | { problems: string[] } {
  const problems: string[] = [];
  const raw = (obj.spec ?? {}) as Record<string, unknown>;
  const url = raw.url;
  if (typeof url !== 'string' || url === '') {
    problems.push('spec.url: Required value');
  } else {
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') problems.push(`spec.url: Unsupported value: "${parsed.protocol}": supported values: "http:", "https:"`);
    } catch {
      problems.push(`spec.url: Invalid value: "${url}": not a URL`);
    }
  }
  const intervalMs = positiveSeconds(raw.intervalSeconds, 'spec.intervalSeconds', problems);
  const timeoutMs = positiveSeconds(raw.timeoutSeconds, 'spec.timeoutSeconds', problems);
  const metrics: ExternalMetricMapping[] = [];
  const list = raw.metrics ?? [];
  if (!Array.isArray(list)) problems.push('spec.metrics: must be a list');
  else {
    list.forEach((item: unknown, i) => {
      const at = `spec.metrics[${i}]`;
      if (typeof item !== 'object' || item === null) {
        problems.push(`${at}: must be an object`);
        return;
      }
      const m = item as Record<string, unknown>;
      const name = m.name;
      if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
        problems.push(`${at}.name: Invalid value: ${JSON.stringify(name ?? null)}: must be a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)`);
        return;
      }
      const labels = stringMap(m.labels, `${at}.labels`, problems);
      if (m.jsonPath !== undefined) {
        if (m.series !== undefined) problems.push(`${at}: series and jsonPath are mutually exclusive`);
        const path = typeof m.jsonPath === 'string' ? parseJsonValuePath(m.jsonPath) : { error: 'must be a string' };
        if ('error' in path) problems.push(`${at}.jsonPath: Invalid value: ${JSON.stringify(m.jsonPath)}: ${path.error}`);
        else metrics.push({ name, jsonPath: path.steps, labels });
        return;
      }
      const series = m.series ?? name;
      if (typeof series !== 'string' || !METRIC_NAME.test(series)) {
        problems.push(`${at}.series: Invalid value: ${JSON.stringify(series)}: must be a series name`);
        return;
      }
      metrics.push({ name, series, matchLabels: stringMap(m.matchLabels, `${at}.matchLabels`, problems), labels });
    });
  }
  if (problems.length > 0) return { problems };
  return {
    spec: {
      url: url as string,
      ...(intervalMs !== undefined ? { intervalMs } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      metrics,
    },
  };
}

const labelMapSchema = { type: 'object', additionalProperties: { type: 'string' } };

/** externalMetricSourceCrd is the CustomResourceDefinition the server installs at boot. */
export function externalMetricSourceCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${EXTERNAL_METRIC_SOURCE_RESOURCE}.${EXTERNAL_METRIC_SOURCE_GROUP}`, labels: { 'app.kubernetes.io/managed-by': 'tkube' } },
    spec: {
      group: EXTERNAL_METRIC_SOURCE_GROUP,
      scope: 'Namespaced',
      names: {
        plural: EXTERNAL_METRIC_SOURCE_RESOURCE,
        singular: 'externalmetricsource',
        kind: EXTERNAL_METRIC_SOURCE_KIND,
        listKind: `${EXTERNAL_METRIC_SOURCE_KIND}List`,
        shortNames: ['ems'],
      },
      versions: [
        {
          name: EXTERNAL_METRIC_SOURCE_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'URL', type: 'string', jsonPath: '.spec.url' },
            { name: 'Last-Scrape', type: 'date', jsonPath: '.status.lastScrapeTime' },
            { name: 'Error', type: 'string', jsonPath: '.status.lastError' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['url'],
                  properties: {
                    url: { type: 'string', description: 'http(s) URL serving Prometheus text or JSON' },
                    intervalSeconds: { type: 'number', description: 'scrape interval; default: the server\'s --metrics-scrape-interval' },
                    timeoutSeconds: { type: 'number', description: 'request timeout; default: min(10, interval)' },
                    metrics: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['name'],
                        properties: {
                          name: { type: 'string', description: 'the external metric name served' },
                          series: { type: 'string', description: 'Prometheus series name in the body (default: name)' },
                          jsonPath: { type: 'string', description: 'path to a number in a JSON body, e.g. $.stats.backlog' },
                          matchLabels: { ...labelMapSchema, description: 'only series with these labels' },
                          labels: { ...labelMapSchema, description: 'labels added to the served series' },
                        },
                      },
                    },
                  },
                },
                status: {
                  type: 'object',
                  properties: {
                    lastScrapeTime: { type: 'string', format: 'date-time' },
                    lastSuccessTime: { type: 'string', format: 'date-time' },
                    lastError: { type: 'string' },
                    values: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: { name: { type: 'string' }, labels: labelMapSchema, value: { type: 'string' } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}
