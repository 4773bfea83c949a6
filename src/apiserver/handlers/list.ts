/** GET of a collection: list with selectors, paging and resourceVersion semantics (see GenericStore.list). */
import type { HandlerContext } from './handler-context.js';
import { writeList } from './object-response.js';
import { listQueryOf } from './query-options.js';

/** listObjects answers GET /…/<resource>. */
export async function listObjects(ctx: HandlerContext): Promise<void> {
  const query = listQueryOf(ctx.scope.url, ctx.entry.store.strategy, ctx.entry.info.namespaced);
  const list = await ctx.entry.store.list(ctx.namespace, query);
  writeList(ctx, list);
}
