/** GET of one object or of its `status`/`scale` subresource. */
import type { HandlerContext } from './handler-context.js';
import { writeObject } from './object-response.js';

/** getObject answers GET /…/<name>[/status|/scale]. */
export async function getObject(ctx: HandlerContext): Promise<void> {
  const sub = ctx.subresource?.name ?? '';
  const obj = await ctx.entry.store.get(ctx.namespace, ctx.name, sub === 'scale' ? 'scale' : '');
  writeObject(ctx, 200, obj);
}
