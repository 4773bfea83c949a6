/**
 * Serving pre-rendered JSON documents (discovery, OpenAPI) with HTTP caching: an `ETag` on every answer and
 * `304 Not Modified` when `If-None-Match` names it, plus the media-type choices these documents need (aggregated
 * discovery v2 versus the legacy documents; JSON OpenAPI versus the protobuf forms we do not produce).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newStatus, StatusError } from '../../api/meta/status-error.js';
import { MEDIA_TYPE_JSON, parseAccept, type MediaType } from './media-type.js';

/** ServedDocument is a rendered JSON document and its content hash, rendered once and served many times. */
export interface ServedDocument {
  /** The JSON text of the body. */
  readonly json: string;
  /** The content hash (upper-case hex SHA-512 of the body), used in OpenAPI v3 `?hash=` URLs. */
  readonly hash: string;
  /** The quoted ETag header value, `"<hash>"`. */
  readonly etag: string;
}

/** ServedBytes is a rendered binary document (e.g. protobuf OpenAPI v2) and its content hash. */
export interface ServedBytes {
  readonly bytes: Uint8Array;
  readonly hash: string;
  readonly etag: string;
}

/**
 * serializeDocument renders a value as JSON and hashes it. The hash changes exactly when the text changes, so it
 * serves as ETag and as the `?hash=` of OpenAPI v3 URLs.
 */
export function serializeDocument(value: unknown): ServedDocument {
  const json = JSON.stringify(value);
  const hash = createHash('sha512').update(json).digest('hex').toUpperCase();
  return { json, hash, etag: `"${hash}"` };
}

/** The Content-Type of an aggregated discovery v2 answer. */
export const AGGREGATED_DISCOVERY_V2_MEDIA_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** notAcceptable (406) lists what a document can be served as. */
export function notAcceptable(accepted: readonly string[]): StatusError {
  return new StatusError(newStatus(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`));
}

function acceptsJsonRange(r: MediaType): boolean {
  return r.essence === '*/*' || r.essence === 'application/*' || r.essence === MEDIA_TYPE_JSON;
}

/** DiscoveryFormat is which discovery document a client asked for. */
export type DiscoveryFormat = 'aggregated' | 'legacy';

/**
 * negotiateDiscovery picks the discovery form for `/api` and `/apis` in the client's order of preference: a JSON
 * range with `g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList` selects aggregated discovery, a JSON range
 * without `as=` the legacy document; other ranges (protobuf, v2beta1) are skipped. Throws 406 when nothing fits.
 */
export function negotiateDiscovery(acceptHeader: string | undefined): DiscoveryFormat {
  for (const r of parseAccept(acceptHeader)) {
    if (!acceptsJsonRange(r)) continue;
    const as = r.params['as'];
    if (as === undefined) return 'legacy';
    if (as === 'APIGroupDiscoveryList' && r.params['g'] === 'apidiscovery.k8s.io' && r.params['v'] === 'v2') return 'aggregated';
  }
  throw notAcceptable([MEDIA_TYPE_JSON, AGGREGATED_DISCOVERY_V2_MEDIA_TYPE]);
}

/** acceptsJson tells whether an Accept header admits plain `application/json` (OpenAPI documents). */
export function acceptsJson(acceptHeader: string | undefined): boolean {
  return parseAccept(acceptHeader).some((r) => acceptsJsonRange(r) && r.params['as'] === undefined);
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '').replace(/^"|"$/g, '') === bare;
  });
}

/** ServeDocumentOptions adds headers to a document answer. */
export interface ServeDocumentOptions {
  /** @default application/json */
  readonly contentType?: string;
  /** @default no-cache, private */
  readonly cacheControl?: string;
  /** Sets `Vary: Accept` (documents whose form depends on Accept). */
  readonly varyAccept?: boolean;
}

/** serveDocument answers 200 with the document, or 304 when the request's If-None-Match names its ETag. */
export function serveDocument(req: IncomingMessage, res: ServerResponse, doc: ServedDocument | ServedBytes, options: ServeDocumentOptions = {}): void {
  res.setHeader('ETag', doc.etag);
  res.setHeader('Cache-Control', options.cacheControl ?? 'no-cache, private');
  if (options.varyAccept) res.setHeader('Vary', 'Accept');
  if (etagMatches(req.headers['if-none-match'], doc.etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const body = 'bytes' in doc ? doc.bytes : Buffer.from(doc.json);
  res.statusCode = 200;
  res.setHeader('Content-Type', options.contentType ?? MEDIA_TYPE_JSON);
  res.setHeader('Content-Length', body.length);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(req.method === 'HEAD' ? undefined : body);
}
