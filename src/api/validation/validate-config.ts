/**
 * ConfigMap and Secret validation: key syntax, the 1 MiB total size, secret types' required keys, and the
 * `immutable: true` lock on update. Secret `data` values are base64 strings in JSON; invalid base64 is rejected.
 */
import type { KubeObject } from '../meta/types.js';
import { fieldErrors, type FieldError } from './field-error.js';
import { semanticEqual } from './generic.js';
import { FIELD_IMMUTABLE_ERROR_MSG, isConfigMapKey } from './names.js';
import { obj, str } from './unstructured.js';

/** MAX_CONFIG_SIZE is the largest total size of a ConfigMap's or Secret's data, in bytes (1 MiB). */
export const MAX_CONFIG_SIZE = 1024 * 1024;

const IMMUTABLE_LOCKED = 'field is immutable when `immutable` is set';
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function keyErrors(map: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(obj(map))) for (const m of isConfigMapKey(k)) errs.push(fieldErrors.invalid(`${field}[${k}]`, k, m));
  return errs;
}

function tooLarge(): FieldError {
  return { type: 'FieldValueTooLong', field: '', badValue: '<value omitted>', detail: `may not be more than ${MAX_CONFIG_SIZE} bytes` };
}

/** validateConfigMap checks keys (no key in both data and binaryData) and total size. */
export function validateConfigMap(cm: KubeObject): FieldError[] {
  const errs = [...keyErrors(cm['data'], 'data'), ...keyErrors(cm['binaryData'], 'binaryData')];
  const data = obj(cm['data']);
  const binary = obj(cm['binaryData']);
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    if (k in binary) errs.push(fieldErrors.invalid(`data[${k}]`, k, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(typeof v === 'string' ? v : '');
  }
  for (const [k, v] of Object.entries(binary)) {
    const s = typeof v === 'string' ? v : '';
    if (!BASE64_RE.test(s)) errs.push(fieldErrors.invalid(`binaryData[${k}]`, '<value omitted>', 'must be base64-encoded'));
    size += Buffer.from(s, 'base64').length;
  }
  if (size > MAX_CONFIG_SIZE) errs.push(tooLarge());
  return errs;
}

function immutableLock(o: KubeObject, old: KubeObject, fields: readonly string[]): FieldError[] {
  if (old['immutable'] !== true) return [];
  const errs: FieldError[] = [];
  if (o['immutable'] !== true) errs.push(fieldErrors.forbidden('immutable', IMMUTABLE_LOCKED));
  for (const f of fields) if (!semanticEqual(o[f], old[f])) errs.push(fieldErrors.forbidden(f, IMMUTABLE_LOCKED));
  return errs;
}

/** validateConfigMapUpdate: nothing may change once `immutable: true`. */
export function validateConfigMapUpdate(cm: KubeObject, old: KubeObject): FieldError[] {
  return immutableLock(cm, old, ['data', 'binaryData']);
}

const SECRET_REQUIRED_KEYS: Readonly<Record<string, readonly string[]>> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

/** validateSecret checks keys, base64 values, size and per-type requirements. */
export function validateSecret(s: KubeObject): FieldError[] {
  const errs = keyErrors(s['data'], 'data');
  const data = obj(s['data']);
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    const value = typeof v === 'string' ? v : '';
    if (!BASE64_RE.test(value)) errs.push(fieldErrors.invalid(`data[${k}]`, '<value omitted>', 'must be base64-encoded'));
    size += Buffer.from(value, 'base64').length;
  }
  if (size > MAX_CONFIG_SIZE) errs.push(tooLarge());
  const type = str(s['type']) ?? '';
  for (const key of SECRET_REQUIRED_KEYS[type] ?? []) if (!(key in data)) errs.push(fieldErrors.required(`data[${key}]`));
  if (type === 'kubernetes.io/service-account-token' && !s.metadata?.annotations?.['kubernetes.io/service-account.name']) {
    errs.push(fieldErrors.required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  if (type === 'kubernetes.io/basic-auth' && !('username' in data) && !('password' in data)) {
    errs.push(fieldErrors.required('data[username]', 'either `username` or `password` must be set'));
  }
  return errs;
}

/** validateSecretUpdate: type is immutable; nothing else changes once `immutable: true`. */
export function validateSecretUpdate(s: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if ((str(s['type']) ?? '') !== (str(old['type']) ?? '')) errs.push(fieldErrors.invalid('type', s['type'], FIELD_IMMUTABLE_ERROR_MSG));
  return [...errs, ...immutableLock(s, old, ['data'])];
}

