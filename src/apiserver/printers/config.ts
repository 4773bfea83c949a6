/**
 * Tables of namespace-scoped configuration and bookkeeping kinds: ConfigMap, Secret, ServiceAccount, Namespace,
 * ResourceQuota, LimitRange.
 */
import { obj, str } from '../../api/validation/unstructured.js';
import { formatCreatedAt, translateTimestampSince } from './age.js';
import { AGE_COLUMN, column, CREATED_AT_COLUMN, NAME_COLUMN, nameOf } from './columns.js';
import type { TableConvertor } from './table.js';

function count(v: unknown): number {
  return Object.keys(obj(v)).length;
}

/** configMapTable renders configmaps: DATA counts data plus binaryData keys. */
export const configMapTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Data', { type: 'integer', description: 'Data contains the configuration data.' }), AGE_COLUMN],
  cells(cm, now) {
    return [nameOf(cm), count(cm['data']) + count(cm['binaryData']), translateTimestampSince(cm.metadata?.creationTimestamp, now)];
  },
};

/** secretTable renders secrets: TYPE, DATA. */
export const secretTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Type', { description: 'Used to facilitate programmatic handling of secret data.' }),
    column('Data', { type: 'integer', description: 'Data contains the secret data.' }),
    AGE_COLUMN,
  ],
  cells(s, now) {
    // stringData is merged into data on write, but count it too in case a stored object still carries it.
    const keys = new Set([...Object.keys(obj(s['data'])), ...Object.keys(obj(s['stringData']))]);
    return [nameOf(s), str(s['type']) ?? '', keys.size, translateTimestampSince(s.metadata?.creationTimestamp, now)];
  },
};

/** serviceAccountTable renders serviceaccounts: SECRETS. */
export const serviceAccountTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Secrets', { type: 'integer', description: 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.' }), AGE_COLUMN],
  cells(sa, now) {
    const secrets = Array.isArray(sa['secrets']) ? sa['secrets'].length : 0;
    return [nameOf(sa), secrets, translateTimestampSince(sa.metadata?.creationTimestamp, now)];
  },
};

/** namespaceTable renders namespaces: STATUS is the phase. */
export const namespaceTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Status', { description: 'The status of the namespace' }), AGE_COLUMN],
  cells(ns, now) {
    return [nameOf(ns), str(obj(ns['status'])['phase']) ?? '', translateTimestampSince(ns.metadata?.creationTimestamp, now)];
  },
};

function quotaPairs(hard: Record<string, unknown>, used: Record<string, unknown>, limits: boolean): string {
  return Object.keys(hard)
    .filter((k) => k.startsWith('limits.') === limits)
    .sort()
    .map((k) => {
      const u = used[k];
      const usedText = typeof u === 'string' || typeof u === 'number' ? String(u) : '0';
      return `${k}: ${usedText}/${String(hard[k])}`;
    })
    .join(', ');
}

/** resourceQuotaTable renders resourcequotas: REQUEST and LIMIT as `name: used/hard` lists. */
export const resourceQuotaTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    column('Request', { description: 'Request represents a minimum amount of cpu/memory that a container may consume.' }),
    column('Limit', { description: 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.' }),
  ],
  cells(q, now) {
    const status = obj(q['status']);
    const hard = obj(status['hard']);
    const used = obj(status['used']);
    return [nameOf(q), translateTimestampSince(q.metadata?.creationTimestamp, now), quotaPairs(hard, used, false), quotaPairs(hard, used, true)];
  },
};

/** limitRangeTable renders limitranges: CREATED AT. */
export const limitRangeTable: TableConvertor = {
  columns: [NAME_COLUMN, CREATED_AT_COLUMN],
  cells(lr) {
    return [nameOf(lr), formatCreatedAt(lr.metadata?.creationTimestamp)];
  },
};

