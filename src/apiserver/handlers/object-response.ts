/**
 * Writing successful resource responses in the negotiated representation (response-format.ts), and the
 * `Warning` headers a request collected.
 */
import type { KubeList, KubeObject, Status } from '../../api/meta/types.js';
import { writeJson } from '../negotiation/write.js';
import type { HandlerContext } from './handler-context.js';
import { negotiateResponse, renderList, renderObject } from './response-format.js';
import type { ResponseFormat } from './response-format.js';

/** responseFormatOf negotiates the representation of a request's response. */
export function responseFormatOf(ctx: HandlerContext): ResponseFormat {
  return negotiateResponse(ctx.scope.req.headers.accept, ctx.scope.url.searchParams.get('includeObject'));
}

/** writeObject answers `code` with one object. */
export function writeObject(ctx: HandlerContext, code: number, obj: KubeObject): void {
  const format = responseFormatOf(ctx);
  const body = renderObject(obj, format, { convertor: ctx.entry.table, now: new Date(ctx.clock.now()) });
  writeJson(ctx.scope.res, code, body, format.contentType);
}

/** writeList answers 200 with a list. */
export function writeList(ctx: HandlerContext, list: KubeList): void {
  const format = responseFormatOf(ctx);
  const body = renderList(list, format, { convertor: ctx.entry.table, now: new Date(ctx.clock.now()) });
  writeJson(ctx.scope.res, 200, body, format.contentType);
}

/** writeSuccess answers a Status Success (deletes of most kinds, bindings, evictions). */
export function writeSuccess(ctx: HandlerContext, code: number, details?: Status['details']): void {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code };
  if (details) status.details = details;
  writeJson(ctx.scope.res, code, status);
}

/** addWarnings appends `Warning: 299 - "<text>"` headers (RFC 7234 warn-code 299, agent "-"). */
export function addWarnings(ctx: HandlerContext, warnings: readonly string[]): void {
  if (warnings.length === 0) return;
  const res = ctx.scope.res;
  const existing = res.getHeader('Warning');
  const prior = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader('Warning', [...prior, ...warnings.map(warningHeader)]);
}

/**
 * warningHeader renders one warning as a header value that Node accepts for any text. The text often quotes client
 * input (an unknown field's name), which may hold characters above U+00FF (invalid UTF-8 decodes to U+FFFD) or DEL;
 * Node refuses such header values with an exception, which turned a harmless warning into a 500. As upstream's Go
 * server does, the quoted text goes on the wire as UTF-8 bytes (Node writes header strings byte per char), with
 * control characters escaped.
 */
export function warningHeader(text: string): string {
  const quoted = JSON.stringify(text).replace(/\x7f/g, '\\u007f');
  return Buffer.from(`299 - ${quoted}`, 'utf8').toString('latin1');
}
