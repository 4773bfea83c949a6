/**
 * Parsing of the query options resource handlers read: dryRun, fieldValidation, list/watch options and
 * DeleteOptions. Malformed values are 400s with upstream's wording where it exists.
 */
import { badRequest } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { DeleteOptions, ListParams } from '../registry/generic-store.js';
import { parseSelectionPredicate } from '../registry/selection-predicate.js';
import type { ResourceStrategy } from '../registry/strategy.js';

/** FieldValidation is the `fieldValidation` directive. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** dryRunOf reads `dryRun`: only "All" is defined. */
export function dryRunOf(url: URL): boolean {
  const values = url.searchParams.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw badRequest(`Invalid dry run value: dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

/** fieldValidationOf reads `fieldValidation` (default Warn, as upstream's server default). */
export function fieldValidationOf(url: URL): FieldValidation {
  const v = url.searchParams.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  const norm = v.charAt(0).toUpperCase() + v.slice(1).toLowerCase();
  if (norm === 'Strict' || norm === 'Warn' || norm === 'Ignore') return norm;
  throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${v}"`);
}

function intParam(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`Cannot parse query option ${name}: "${v}" is not an integer`);
  return Number(v);
}

function boolParam(url: URL, name: string): boolean | undefined {
  const v = url.searchParams.get(name);
  if (v === null) return undefined;
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw badRequest(`Cannot parse query option ${name}: "${v}" is not a boolean`);
}

/** ListQuery is a list or watch request's options. */
export interface ListQuery extends ListParams {
  readonly timeoutSeconds?: number;
  readonly allowWatchBookmarks: boolean;
  readonly sendInitialEvents?: boolean;
}

/** listQueryOf reads list and watch options. */
export function listQueryOf(url: URL, strategy: ResourceStrategy, namespaced: boolean): ListQuery {
  const q = url.searchParams;
  const limit = intParam(url, 'limit');
  if (limit !== undefined && limit < 0) throw badRequest(`Cannot list: limit must not be negative, got ${limit}`);
  return {
    predicate: parseSelectionPredicate(q.get('labelSelector') ?? '', q.get('fieldSelector') ?? '', strategy, namespaced),
    limit,
    continue: q.get('continue') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
    timeoutSeconds: intParam(url, 'timeoutSeconds'),
    allowWatchBookmarks: boolParam(url, 'allowWatchBookmarks') ?? false,
    sendInitialEvents: boolParam(url, 'sendInitialEvents'),
  };
}

/** deleteOptionsOf merges a DeleteOptions body (may be empty) with the equivalent query options. */
export function deleteOptionsOf(url: URL, body: unknown): DeleteOptions {
  const out: DeleteOptions = {};
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const b = body as KubeObject;
    if (typeof b['gracePeriodSeconds'] === 'number') out.gracePeriodSeconds = b['gracePeriodSeconds'];
    const pre = b['preconditions'];
    if (typeof pre === 'object' && pre !== null) {
      const p = pre as Record<string, unknown>;
      out.preconditions = {};
      if (typeof p['uid'] === 'string') out.preconditions.uid = p['uid'];
      if (typeof p['resourceVersion'] === 'string') out.preconditions.resourceVersion = p['resourceVersion'];
    }
    const policy = b['propagationPolicy'];
    if (policy === 'Orphan' || policy === 'Background' || policy === 'Foreground') out.propagationPolicy = policy;
    else if (policy !== undefined && policy !== null) throw badRequest(`DeleteOptions.propagationPolicy: Unsupported value: "${String(policy)}"`);
    if (typeof b['orphanDependents'] === 'boolean') out.orphanDependents = b['orphanDependents'];
    const dry = b['dryRun'];
    if (Array.isArray(dry)) out.dryRun = dry.filter((d): d is string => typeof d === 'string');
  }
  const grace = intParam(url, 'gracePeriodSeconds');
  if (grace !== undefined) out.gracePeriodSeconds = grace;
  const policy = url.searchParams.get('propagationPolicy');
  if (policy !== null) {
    if (policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
      throw badRequest(`DeleteOptions.propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
    }
    out.propagationPolicy = policy;
  }
  const orphan = boolParam(url, 'orphanDependents');
  if (orphan !== undefined) out.orphanDependents = orphan;
  if (out.gracePeriodSeconds !== undefined && out.gracePeriodSeconds < 0) out.gracePeriodSeconds = 0;
  return out;
}
