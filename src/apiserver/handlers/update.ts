/** PUT: replace an object or its `status`, `scale` or `finalize` subresource. */
import { badRequest } from '../../api/meta/status-error.js';
import type { GroupVersionKind } from '../../api/schema/types.js';
import { admissionRequestOf } from './admission-request.js';
import { isObjectBody, managedFieldsRecorderOf } from './handler-context.js';
import type { HandlerContext } from './handler-context.js';
import { writeObject } from './object-response.js';
import { dryRunOf, fieldValidationOf } from './query-options.js';
import { checkUnknownFields } from './unknown-fields.js';
import { legacyBodyError } from './legacy-api-version.js';

/** bodyKindOf is the kind a write to this (sub)resource carries: the subresource's kind (Scale) or the resource's. */
export function bodyKindOf(ctx: HandlerContext): GroupVersionKind {
  const info = ctx.entry.info;
  return ctx.subresource?.kind ?? { group: info.group, version: info.version, kind: info.kind };
}

/** updateObject answers PUT /…/<name>[/status|/scale|/finalize]. */
export async function updateObject(ctx: HandlerContext): Promise<void> {
  const url = ctx.scope.url;
  const dryRun = dryRunOf(url);
  const validation = fieldValidationOf(url);
  const body = ctx.decode(validation === 'Strict');
  if (!isObjectBody(body)) throw badRequest('Cannot decode the request body: it is not a JSON object');
  const legacy = legacyBodyError(body);
  if (legacy) throw legacy;
  checkUnknownFields(ctx, body, bodyKindOf(ctx), validation);
  const updated = await ctx.entry.store.update(ctx.namespace, ctx.name, body, {
    dryRun,
    subresource: ctx.subresource?.name ?? '',
    admission: admissionRequestOf(ctx, 'UpdateOptions'),
    managedFields: managedFieldsRecorderOf(ctx, 'UpdateOptions'),
  });
  writeObject(ctx, 200, updated);
}
