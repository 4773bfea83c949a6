/**
 * PATCH: JSON patch, JSON merge patch and strategic merge patch (applyPatch in api/patch) applied to the current
 * object inside GenericStore.guaranteedUpdate, so a lost race re-reads and re-applies the patch. A
 * resourceVersion inside the patch acts as a precondition. Every patch is recorded in managedFields.
 *
 * Server-side apply (`application/apply-patch+yaml`, a YAML or JSON body) merges the applied configuration into
 * the current object (serverSideApply in api/apply) inside the same guaranteedUpdate, answers 409 with one cause
 * per conflicting field, and creates the object when it does not exist (201), as upstream.
 */
import { applyConflictError } from '../../api/apply/apply-conflict.js';
import { formatManagedTime } from '../../api/apply/field-manager.js';
import { serverSideApply } from '../../api/apply/server-side-apply.js';
import type { JsonObject } from '../../api/patch/json-value.js';
import { applyPatch } from '../../api/patch/patch.js';
import { badRequest, newStatus, StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import { groupVersionOf } from '../../api/scheme.js';
import { scaleOf } from '../registry/scale.js';
import { admissionRequestOf } from './admission-request.js';
import { EMPTY_SCHEMAS } from './empty-schemas.js';
import { applySchemaFor, fieldManagerFor, isObjectBody, managedFieldsRecorderOf } from './handler-context.js';
import type { HandlerContext } from './handler-context.js';
import { addWarnings, writeObject } from './object-response.js';
import { dryRunOf, fieldValidationOf } from './query-options.js';
import { unknownFieldWarnings } from './unknown-fields.js';
import { bodyKindOf } from './update.js';

const APPLY_PATCH = 'application/apply-patch+yaml';
const SCALE_GROUP_VERSION = 'autoscaling/v1';

/** patchObject answers PATCH /…/<name>[/status|/scale]. */
export async function patchObject(ctx: HandlerContext): Promise<void> {
  const url = ctx.scope.url;
  const contentType = ctx.scope.req.headers['content-type'] ?? '';
  if ((contentType.split(';')[0] ?? '').trim().toLowerCase() === APPLY_PATCH) return applyObject(ctx);
  const managedFields = managedFieldsRecorderOf(ctx, 'PatchOptions');
  const dryRun = dryRunOf(url);
  const validation = fieldValidationOf(url);
  const gvk = bodyKindOf(ctx);
  const lookup = ctx.schemas ?? EMPTY_SCHEMAS;
  const typeName = lookup.kind(gvk)?.name;
  // Warnings of the last attempt only: a retried patch is checked again on the re-read object.
  let warnings: string[] = [];
  const patched = await ctx.entry.store.guaranteedUpdate(
    ctx.namespace,
    ctx.name,
    (current) => {
      const result = applyPatch(contentType, current, ctx.scope.body, { typeName, lookup, groupKind: { group: gvk.group, kind: gvk.kind } }) as KubeObject;
      warnings = unknownFieldWarnings(ctx, result, gvk, validation);
      return result;
    },
    { dryRun, subresource: ctx.subresource?.name ?? '', admission: admissionRequestOf(ctx, 'PatchOptions'), managedFields },
  );
  addWarnings(ctx, warnings);
  writeObject(ctx, 200, patched);
}

/**
 * applyObject answers a server-side apply PATCH of an object or its status. Fields the resource resets are left
 * out of the applied configuration, as upstream's reset fields: `status` on the main resource of a kind with a
 * status subresource, everything but `status` on the status subresource.
 */
async function applyObject(ctx: HandlerContext): Promise<void> {
  const url = ctx.scope.url;
  const { manager, force } = fieldManagerFor(ctx, 'PatchOptions', true);
  const dryRun = dryRunOf(url);
  const validation = fieldValidationOf(url);
  const info = ctx.entry.info;
  const subresource = ctx.subresource?.name ?? '';
  if (subresource !== '' && subresource !== 'status' && subresource !== 'scale') {
    throw new StatusError(newStatus(415, 'UnsupportedMediaType', `Cannot apply to the ${subresource} subresource: server-side apply serves objects, status and scale only`));
  }
  const body = ctx.decode(validation === 'Strict');
  if (!isObjectBody(body)) throw badRequest('Cannot decode the apply configuration: it is not a JSON object');
  const bodyName = body.metadata?.name;
  if (bodyName !== undefined && bodyName !== ctx.name) {
    throw badRequest(`the name of the object (${String(bodyName)}) does not match the name on the URL (${ctx.name})`);
  }
  const groupVersion = groupVersionOf(info.group, info.version);
  const expectedVersion = subresource === 'scale' ? SCALE_GROUP_VERSION : groupVersion;
  if (body.apiVersion !== expectedVersion) {
    throw badRequest(`Incorrect version specified in apply patch. Specified patch version: ${String(body.apiVersion ?? '')}, expected: ${expectedVersion}`);
  }
  if (body.metadata?.managedFields !== undefined && body.metadata.managedFields !== null) throw badRequest('metadata.managedFields must be nil');
  if (subresource === 'scale') return applyScaleObject(ctx, body, { manager, force, dryRun });
  const gvk = bodyKindOf(ctx);
  const warnings = unknownFieldWarnings(ctx, body, gvk, validation);
  let applied: KubeObject = body;
  if (subresource === 'status') {
    applied = Object.fromEntries(Object.entries(body).filter(([key]) => ['apiVersion', 'kind', 'metadata', 'status'].includes(key)));
  } else if ((info.subresources ?? []).some((s) => s.name === 'status')) {
    const { status: _reset, ...rest } = body;
    applied = rest;
  }
  const options = {
    manager,
    force,
    schema: applySchemaFor(ctx),
    apiVersion: groupVersion,
    now: formatManagedTime(ctx.clock.now()),
    subresource,
  };
  const admission = admissionRequestOf(ctx, 'PatchOptions');
  let patched: KubeObject;
  try {
    patched = await ctx.entry.store.guaranteedUpdate(ctx.namespace, ctx.name, applyTo(applied, options), { dryRun, subresource, admission });
  } catch (err) {
    const missing = err instanceof StatusError && err.status.code === 404 && err.status.details?.kind === info.resource && err.status.details.name === ctx.name;
    if (!missing || subresource !== '') throw err;
    const result = serverSideApply(undefined, applied as JsonObject, options);
    const created = await ctx.entry.store.create(ctx.namespace, (result.object ?? {}) as KubeObject, { dryRun, admission });
    addWarnings(ctx, warnings);
    writeObject(ctx, 201, created);
    return;
  }
  addWarnings(ctx, warnings);
  writeObject(ctx, 200, patched);
}

/** applyTo is the update function of an apply: merge `applied` into the current object, 409 on conflicts. */
function applyTo(applied: KubeObject, options: Parameters<typeof serverSideApply>[2]): (current: KubeObject) => KubeObject {
  return (current) => {
    const result = serverSideApply(current as JsonObject, applied as JsonObject, options);
    if (result.conflicts !== undefined) throw applyConflictError(result.conflicts);
    return result.object as KubeObject;
  };
}

/**
 * applyScaleObject answers a server-side apply of the `scale` subresource. The applied Scale's only writable
 * field, spec.replicas, is applied to the parent as `{spec: {replicas}}` with the manager recorded under
 * subresource "scale", so ownership of spec.replicas is shared with (and conflicts against) the managers of the
 * parent itself, as upstream keeps it. Answers the parent's Scale.
 */
async function applyScaleObject(ctx: HandlerContext, body: KubeObject, opts: { manager: string; force: boolean; dryRun: boolean }): Promise<void> {
  const info = ctx.entry.info;
  const spec = body['spec'];
  const replicas = typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>)['replicas'] : undefined;
  if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
    throw badRequest('Cannot apply scale: spec.replicas must be a non-negative integer');
  }
  const groupVersion = groupVersionOf(info.group, info.version);
  const applied = { apiVersion: groupVersion, kind: info.kind, metadata: { name: ctx.name }, ...(replicas !== undefined ? { spec: { replicas } } : {}) };
  const options = {
    manager: opts.manager,
    force: opts.force,
    schema: applySchemaFor(ctx),
    apiVersion: groupVersion,
    now: formatManagedTime(ctx.clock.now()),
    subresource: 'scale',
  };
  const patched = await ctx.entry.store.guaranteedUpdate(ctx.namespace, ctx.name, applyTo(applied as KubeObject, options), {
    dryRun: opts.dryRun,
    subresource: '',
    admission: admissionRequestOf(ctx, 'PatchOptions'),
  });
  writeObject(ctx, 200, scaleOf(patched));
}
