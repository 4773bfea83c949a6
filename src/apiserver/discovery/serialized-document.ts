/**
 * SerializedDocument: a JSON document rendered once and served many times, with the content hash clients use for
 * caching (`ETag`, and the `?hash=` of OpenAPI v3 URLs). The hash is the upper-case hex SHA-512 of the JSON text,
 * the form upstream publishes; it changes exactly when the text changes.
 */
import { createHash } from 'node:crypto';

/** SerializedDocument is an immutable rendered document. */
export interface SerializedDocument {
  /** The JSON text to send as the response body. */
  readonly json: string;
  /** Upper-case hex SHA-512 of `json`. */
  readonly hash: string;
  /** The quoted `ETag` header value, `"<hash>"`. */
  readonly etag: string;
}

/** serializeDocument renders a value as JSON and hashes it. */
export function serializeDocument(value: unknown): SerializedDocument {
  const json = JSON.stringify(value);
  const hash = createHash('sha512').update(json).digest('hex').toUpperCase();
  return { json, hash, etag: `"${hash}"` };
}
