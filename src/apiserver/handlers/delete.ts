/**
 * DELETE of one object or of a collection. One object answers 200 with the object when it remains (finalizers,
 * graceful deletion) or for kinds that return it, and otherwise a Status Success naming it, as upstream.
 */
import { admissionRequestOf } from './admission-request.js';
import type { HandlerContext } from './handler-context.js';
import { writeList, writeObject, writeSuccess } from './object-response.js';
import { deleteOptionsOf, dryRunOf, listQueryOf } from './query-options.js';

function optionsBody(ctx: HandlerContext): unknown {
  if (ctx.scope.body.length === 0) return undefined;
  return ctx.decode(false);
}

/** deleteObject answers DELETE /…/<name>. */
export async function deleteObject(ctx: HandlerContext): Promise<void> {
  const options = deleteOptionsOf(ctx.scope.url, optionsBody(ctx));
  const dryRun = dryRunOf(ctx.scope.url) || (options.dryRun ?? []).includes('All');
  const res = await ctx.entry.store.delete(ctx.namespace, ctx.name, options, { dryRun, admission: admissionRequestOf(ctx, 'DeleteOptions', options) });
  if (!res.deleted || ctx.entry.returnsDeletedObject) {
    writeObject(ctx, 200, res.object);
    return;
  }
  const info = ctx.entry.info;
  writeSuccess(ctx, 200, { name: ctx.name, group: info.group || undefined, kind: info.resource, uid: res.object.metadata?.uid });
}

/** deleteCollection answers DELETE /…/<resource> with the list of deleted (or marked) objects. */
export async function deleteCollection(ctx: HandlerContext): Promise<void> {
  const options = deleteOptionsOf(ctx.scope.url, optionsBody(ctx));
  const dryRun = dryRunOf(ctx.scope.url) || (options.dryRun ?? []).includes('All');
  const query = listQueryOf(ctx.scope.url, ctx.entry.store.strategy, ctx.entry.info.namespaced);
  const list = await ctx.entry.store.deleteCollection(ctx.namespace, query, options, { dryRun, admission: admissionRequestOf(ctx, 'DeleteOptions', options) });
  writeList(ctx, list);
}
