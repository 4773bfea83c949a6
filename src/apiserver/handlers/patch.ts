/**
 * PATCH: JSON patch, JSON merge patch and strategic merge patch (applyPatch in api/patch) applied to the current
 * object inside GenericStore.guaranteedUpdate, so a lost race re-reads and re-applies the patch. A
 * resourceVersion inside the patch acts as a precondition. Server-side apply (`application/apply-patch+yaml`)
 * is answered 415 until it exists.
 */
import { applyPatch } from '../../api/patch/patch.js';
import { newStatus, StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import { EMPTY_SCHEMAS } from './empty-schemas.js';
import type { HandlerContext } from './handler-context.js';
import { addWarnings, writeObject } from './object-response.js';
import { dryRunOf, fieldValidationOf } from './query-options.js';
import { unknownFieldWarnings } from './unknown-fields.js';
import { bodyKindOf } from './update.js';

const APPLY_PATCH = 'application/apply-patch+yaml';

/** patchObject answers PATCH /…/<name>[/status|/scale]. */
export async function patchObject(ctx: HandlerContext): Promise<void> {
  const url = ctx.scope.url;
  const contentType = ctx.scope.req.headers['content-type'] ?? '';
  if ((contentType.split(';')[0] ?? '').trim().toLowerCase() === APPLY_PATCH) {
    throw new StatusError(
      newStatus(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (server-side apply, ${APPLY_PATCH}, is not supported yet)`,
      ),
    );
  }
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
    { dryRun, subresource: ctx.subresource?.name ?? '' },
  );
  addWarnings(ctx, warnings);
  writeObject(ctx, 200, patched);
}
