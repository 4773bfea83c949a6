/**
 * Request body decoding by Content-Type: JSON (and the JSON patch types), YAML (and apply-patch+yaml), and the
 * Kubernetes protobuf envelope. The result is the plain JSON value the registry works on. Every failure is a
 * StatusError: 415 for a media type we do not read, 400 for a body that does not decode.
 */
import { parse as parseYaml } from 'yaml';
import { badRequest, StatusError, unsupportedMediaType } from '../../api/meta/status-error.js';
import { decodeKubernetesProtobuf } from '../../api/protobuf/kubernetes-protobuf.js';
import { ProtobufDecodeError } from '../../api/protobuf/protobuf-errors.js';
import type { SchemaLookup } from '../../api/schema/types.js';
import { findDuplicateJsonFields, jsonDepthExceeds, MAX_JSON_DEPTH, valueDepthExceeds } from './json-structure.js';
import { MEDIA_TYPE_JSON, MEDIA_TYPE_PROTOBUF, parseMediaType } from './media-type.js';

/** MAX_YAML_ALIAS_COUNT bounds alias expansion in YAML bodies (defuses "billion laughs" documents). */
export const MAX_YAML_ALIAS_COUNT = 50;

/** DecodeBodyOptions tunes decodeBody. */
export interface DecodeBodyOptions {
  /**
   * Reject duplicate fields (`fieldValidation=Strict`) with 400 `strict decoding error: duplicate field "<path>"`.
   * @default false
   */
  readonly strict?: boolean;
  /**
   * The schemas that decode `application/vnd.kubernetes.protobuf` bodies (the `k8s\0` envelope, built-in kinds).
   * Without it protobuf bodies are answered 415.
   */
  readonly schemaLookup?: SchemaLookup;
  /**
   * Decodes a protobuf body into its JSON object form; takes precedence over `schemaLookup`. A thrown
   * ProtobufDecodeError (or any non-Status error) is answered 400; a thrown StatusError passes through.
   */
  readonly decodeProtobuf?: (body: Buffer) => unknown;
}

const JSON_TYPES = new Set([
  MEDIA_TYPE_JSON,
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
]);
const YAML_TYPES = new Set(['application/yaml', 'application/apply-patch+yaml', 'text/yaml', 'application/x-yaml']);

function lowerFirst(message: string): string {
  return message.length > 0 ? message.charAt(0).toLowerCase() + message.slice(1) : message;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function decodeJson(text: string, strict: boolean): unknown {
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw badRequest(`couldn't get version/kind; json parse error: exceeded max depth of ${MAX_JSON_DEPTH}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = text.trim() === '' ? 'unexpected end of JSON input' : lowerFirst(errorMessage(err));
    throw badRequest(`couldn't get version/kind; json parse error: ${message}`);
  }
  if (strict) rejectDuplicates(findDuplicateJsonFields(text));
  return value;
}

function rejectDuplicates(paths: readonly string[]): void {
  if (paths.length === 0) return;
  const parts = paths.map((p) => `duplicate field "${p}"`);
  throw badRequest(`strict decoding error: ${parts.join(', ')}`);
}

function decodeYaml(text: string, strict: boolean): unknown {
  // A JSON body is valid YAML, but the JSON path is faster and reports JSON-style errors.
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) return decodeJson(text, strict);
  if (trimmed === '') throw badRequest(`couldn't get version/kind; json parse error: unexpected end of JSON input`);
  let value: unknown;
  try {
    value = parseYaml(text, {
      maxAliasCount: MAX_YAML_ALIAS_COUNT,
      uniqueKeys: strict,
      prettyErrors: false,
      merge: true,
    });
  } catch (err) {
    if (strict && /map keys must be unique/i.test(errorMessage(err))) {
      throw badRequest(`strict decoding error: ${lowerFirst(errorMessage(err))}`);
    }
    // RangeError: nesting so deep that the YAML composer ran out of stack.
    const message = /call stack/i.test(errorMessage(err)) ? `exceeded max depth of ${MAX_JSON_DEPTH}` : lowerFirst(errorMessage(err));
    throw badRequest(`error converting YAML to JSON: yaml: ${message}`);
  }
  if (valueDepthExceeds(value, MAX_JSON_DEPTH)) {
    throw badRequest(`error converting YAML to JSON: yaml: exceeded max depth of ${MAX_JSON_DEPTH}`);
  }
  return value;
}

/**
 * decodeBody decodes a request body according to its Content-Type (JSON when absent, as upstream assumes).
 * Returns the decoded JSON value; throws StatusError 415 for unknown media types and 400 for malformed bodies,
 * nesting deeper than MAX_JSON_DEPTH, YAML alias bombs, and (with `strict`) duplicate fields.
 */
export function decodeBody(contentType: string | undefined, body: Buffer, options: DecodeBodyOptions = {}): unknown {
  const strict = options.strict ?? false;
  const media = contentType === undefined || contentType.trim() === '' ? MEDIA_TYPE_JSON : parseMediaType(contentType)?.essence;
  if (media !== undefined && JSON_TYPES.has(media)) return decodeJson(body.toString('utf8'), strict);
  if (media !== undefined && YAML_TYPES.has(media)) return decodeYaml(body.toString('utf8'), strict);
  if (media === MEDIA_TYPE_PROTOBUF && (options.decodeProtobuf || options.schemaLookup)) {
    const lookup = options.schemaLookup;
    const decode = options.decodeProtobuf ?? ((b: Buffer): unknown => (lookup ? decodeKubernetesProtobuf(b, lookup).object : undefined));
    try {
      return decode(body);
    } catch (err) {
      if (err instanceof StatusError) throw err;
      throw badRequest(err instanceof ProtobufDecodeError ? err.message : `Cannot decode protobuf body: ${errorMessage(err)}`);
    }
  }
  throw unsupportedMediaType(contentType ?? '');
}
