/**
 * The protobuf form of `/openapi/v2`: the Swagger 2.0 JSON document as an `openapi.v2.Document` message (the
 * gnostic OpenAPIv2 schema, asked for as `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`). kubectl 1.27
 * and 1.28 ask for this form only, for client-side validation and for the fieldValidation check before
 * `apply`/`create -f`; without it they fail.
 *
 * Contract of the mapping (the one gnostic uses when it compiles JSON):
 * - Named maps (paths, definitions, properties, responses, …) become repeated `Named*` pairs in JSON key order.
 * - `x-*` keys become `vendor_extension` entries: `NamedAny{name, Any{yaml}}`, the value written as YAML text.
 * - Free-form values (`default`, `example`, `enum` members) are `Any{yaml}` too.
 * - Keys Swagger 2.0 does not define, and values of the wrong JSON type, are left out rather than failing: the
 *   document is ours, and a partial schema is better for clients than no document.
 * Fields are written in field-number order, as Go's marshaller does, so equal documents give equal bytes.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify as stringifyYaml } from 'yaml';
import { WireType } from '../../api/protobuf/wire-reader.js';
import { WireWriter } from '../../api/protobuf/wire-writer.js';
import { parseAccept, type MediaType } from '../negotiation/media-type.js';
import { serveDocument, type ServedBytes } from '../negotiation/served-document.js';

/**
 * The Content-Type of the protobuf `/openapi/v2` answer. Clients ask for the `…spec.v2@v1.0+protobuf` spelling, but
 * `@` may not appear in a media type token, and Go's media-type parser (so kubectl) rejects a response labelled
 * with it; the dotted spelling parses and is what upstream answers with.
 */
export const OPENAPI_V2_PROTOBUF_MEDIA_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** The Accept value kubectl 1.27 and 1.28 send for the protobuf document. */
export const OPENAPI_V2_PROTOBUF_ACCEPT = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/**
 * Every spelling clients use to ask for the protobuf document: the two above and the gnostic-era name older
 * clients send.
 */
const PROTOBUF_ACCEPT_TYPES: ReadonlySet<string> = new Set([
  OPENAPI_V2_PROTOBUF_ACCEPT,
  OPENAPI_V2_PROTOBUF_MEDIA_TYPE,
  'application/com.github.googleapis.gnostic.openapiv2@68f4ded+protobuf',
]);

/** OpenApiV2Format is the form of `/openapi/v2` a client asked for. */
export type OpenApiV2Format = 'protobuf' | 'json';

/**
 * negotiateOpenApiV2 picks the form of `/openapi/v2` in the client's order of preference: a protobuf range selects
 * protobuf, a JSON range (or a wildcard) JSON. Returns undefined when the Accept header admits neither (406).
 */
export function negotiateOpenApiV2(acceptHeader: string | undefined): OpenApiV2Format | undefined {
  for (const r of parseAccept(acceptHeader)) {
    if (PROTOBUF_ACCEPT_TYPES.has(r.essence)) return 'protobuf';
    if (acceptsJsonRange(r)) return 'json';
  }
  return undefined;
}

function acceptsJsonRange(r: MediaType): boolean {
  return (r.essence === '*/*' || r.essence === 'application/*' || r.essence === 'application/json') && r.params['as'] === undefined;
}

/** SerializedProtobufDocument is the protobuf `/openapi/v2` document, encoded once and served many times. */
export type SerializedProtobufDocument = ServedBytes;

/** The rendered JSON document a protobuf form is derived from (a SerializedDocument). */
export interface JsonDocumentSource {
  /** The JSON text of the Swagger 2.0 document. */
  readonly json: string;
}

const encodedCache = new WeakMap<JsonDocumentSource, SerializedProtobufDocument>();

/**
 * openApiV2ProtobufDocument returns the protobuf form of a rendered `/openapi/v2` document. The result is cached
 * with the JSON document object itself, so it is built once, on first request, and dropped with the JSON when the
 * documents are rebuilt.
 */
export function openApiV2ProtobufDocument(source: JsonDocumentSource): SerializedProtobufDocument {
  let doc = encodedCache.get(source);
  if (doc === undefined) {
    const bytes = encodeOpenApiV2Protobuf(JSON.parse(source.json) as unknown);
    const hash = createHash('sha512').update(bytes).digest('hex').toUpperCase();
    doc = { bytes, hash, etag: `"${hash}"` };
    encodedCache.set(source, doc);
  }
  return doc;
}

/**
 * serveOpenApiV2Protobuf answers 200 with the protobuf document, or 304 when the request's If-None-Match names its
 * ETag. Its ETag differs from the JSON form's, so a cache never hands one form to a client that asked for the other.
 */
export function serveOpenApiV2Protobuf(req: IncomingMessage, res: ServerResponse, doc: SerializedProtobufDocument): void {
  serveDocument(req, res, doc, { contentType: OPENAPI_V2_PROTOBUF_MEDIA_TYPE, varyAccept: true });
}

/** encodeOpenApiV2Protobuf encodes a Swagger 2.0 JSON document as an `openapi.v2.Document` message. */
export function encodeOpenApiV2Protobuf(doc: unknown): Uint8Array {
  const w = new WireWriter();
  if (isObject(doc)) writeFields(w, DOCUMENT, doc);
  return w.finish();
}

type JsonObject = Record<string, unknown>;

/** FieldWriter writes one JSON value as field `field` of the message under construction (or nothing). */
type FieldWriter = (w: WireWriter, field: number, value: unknown) => void;

/** MessageLayout maps a JSON object's keys onto a message's fields; `extensions` is its vendor_extension field. */
interface MessageLayout {
  readonly fields: readonly (readonly [key: string, field: number, write: FieldWriter])[];
  readonly extensions?: number;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function writeFields(w: WireWriter, layout: MessageLayout, obj: JsonObject): void {
  for (const [key, field, write] of layout.fields) {
    const value = obj[key];
    if (value !== undefined) write(w, field, value);
  }
  if (layout.extensions !== undefined) writeExtensions(w, layout.extensions, obj);
}

function writeExtensions(w: WireWriter, field: number, obj: JsonObject): void {
  for (const [key, value] of Object.entries(obj)) {
    if (key.startsWith('x-') && value !== undefined) writeNested(w, field, (n) => namedAny(n, key, value));
  }
}

/** writeNested writes a length-delimited submessage built by `build` (written even when empty: presence counts). */
function writeNested(w: WireWriter, field: number, build: (inner: WireWriter) => void): void {
  const inner = new WireWriter();
  build(inner);
  w.tag(field, WireType.LengthDelimited);
  w.bytes(inner.finish());
}

function namedAny(w: WireWriter, name: string, value: unknown): void {
  w.tag(1, WireType.LengthDelimited);
  w.string(name);
  writeNested(w, 2, (a) => anyBody(a, value));
}

/** anyBody writes `Any{yaml}`. YAML 1.1 rules quote strings such as "yes" or "on" that Go's YAML reader would take for booleans. */
function anyBody(w: WireWriter, value: unknown): void {
  w.tag(2, WireType.LengthDelimited);
  w.string(stringifyYaml(value, { version: '1.1', lineWidth: 0 }));
}

const str: FieldWriter = (w, field, value) => {
  if (typeof value !== 'string' || value === '') return;
  w.tag(field, WireType.LengthDelimited);
  w.string(value);
};

const bool: FieldWriter = (w, field, value) => {
  if (value !== true) return;
  w.tag(field, WireType.Varint);
  w.bool(true);
};

const double: FieldWriter = (w, field, value) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) return;
  w.tag(field, WireType.Fixed64);
  w.double(value);
};

const int64: FieldWriter = (w, field, value) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) return;
  w.tag(field, WireType.Varint);
  w.int64(value);
};

const strings: FieldWriter = (w, field, value) => {
  const list = Array.isArray(value) ? value : [value];
  for (const s of list) {
    if (typeof s !== 'string') continue;
    w.tag(field, WireType.LengthDelimited);
    w.string(s);
  }
};

const any: FieldWriter = (w, field, value) => writeNested(w, field, (a) => anyBody(a, value));

const anys: FieldWriter = (w, field, value) => {
  if (!Array.isArray(value)) return;
  for (const v of value) any(w, field, v);
};

/** message writes a JSON object as a submessage laid out by `layout()` (a thunk: layouts refer to each other). */
function message(layout: () => MessageLayout): FieldWriter {
  return (w, field, value) => {
    if (isObject(value)) writeNested(w, field, (m) => writeFields(m, layout(), value));
  };
}

/** repeated writes each object of a JSON array with `write`. */
function repeated(write: FieldWriter): FieldWriter {
  return (w, field, value) => {
    if (!Array.isArray(value)) return;
    for (const v of value) write(w, field, v);
  };
}

/** namedMap writes a JSON object as a message whose field 1 repeats `Named*{name = 1, value = 2}` pairs. */
function namedMap(valueWriter: FieldWriter): FieldWriter {
  return (w, field, value) => {
    if (isObject(value)) writeNested(w, field, (m) => namedPairs(m, 1, valueWriter, value, false));
  };
}

function namedPairs(w: WireWriter, field: number, valueWriter: FieldWriter, obj: JsonObject, skipExtensions: boolean): void {
  for (const [name, v] of Object.entries(obj)) {
    if (skipExtensions && name.startsWith('x-')) continue;
    writeNested(w, field, (pair) => {
      str(pair, 1, name);
      valueWriter(pair, 2, v);
    });
  }
}

/** oneof writes a submessage holding exactly one of its alternatives, chosen from the JSON value. */
function oneof(choose: (value: JsonObject) => readonly [field: number, write: FieldWriter] | undefined): FieldWriter {
  return (w, field, value) => {
    if (!isObject(value)) return;
    const choice = choose(value);
    if (choice === undefined) return;
    writeNested(w, field, (m) => choice[1](m, choice[0], value));
  };
}

// --- Schema ---

/** TypeItem{value = 1}: `"type"` is a string or a list of strings. */
const typeItem: FieldWriter = (w, field, value) => writeNested(w, field, (m) => strings(m, 1, value));

/** ItemsItem{schema = 1 (repeated)}: `"items"` is one schema or a list of them. */
const itemsItem: FieldWriter = (w, field, value) => {
  const list = Array.isArray(value) ? value : [value];
  writeNested(w, field, (m) => {
    for (const s of list) schema(m, 1, s);
  });
};

/** AdditionalPropertiesItem{oneof: schema = 1, boolean = 2}; a oneof member is written even when false. */
const additionalPropertiesItem: FieldWriter = (w, field, value) => {
  if (typeof value === 'boolean') {
    writeNested(w, field, (m) => {
      m.tag(2, WireType.Varint);
      m.bool(value);
    });
  } else if (isObject(value)) {
    writeNested(w, field, (m) => schema(m, 1, value));
  }
};

const schema: FieldWriter = message(() => SCHEMA);
const externalDocs: FieldWriter = message(() => EXTERNAL_DOCS);

const SCHEMA: MessageLayout = {
  fields: [
    ['$ref', 1, str],
    ['format', 2, str],
    ['title', 3, str],
    ['description', 4, str],
    ['default', 5, any],
    ['multipleOf', 6, double],
    ['maximum', 7, double],
    ['exclusiveMaximum', 8, bool],
    ['minimum', 9, double],
    ['exclusiveMinimum', 10, bool],
    ['maxLength', 11, int64],
    ['minLength', 12, int64],
    ['pattern', 13, str],
    ['maxItems', 14, int64],
    ['minItems', 15, int64],
    ['uniqueItems', 16, bool],
    ['maxProperties', 17, int64],
    ['minProperties', 18, int64],
    ['required', 19, strings],
    ['enum', 20, anys],
    ['additionalProperties', 21, additionalPropertiesItem],
    ['type', 22, typeItem],
    ['items', 23, itemsItem],
    ['allOf', 24, repeated(schema)],
    ['properties', 25, namedMap(schema)],
    ['discriminator', 26, str],
    ['readOnly', 27, bool],
    ['xml', 28, message(() => XML)],
    ['externalDocs', 29, externalDocs],
    ['example', 30, any],
  ],
  extensions: 31,
};

const XML: MessageLayout = {
  fields: [
    ['name', 1, str],
    ['namespace', 2, str],
    ['prefix', 3, str],
    ['attribute', 4, bool],
    ['wrapped', 5, bool],
  ],
  extensions: 6,
};

const EXTERNAL_DOCS: MessageLayout = {
  fields: [
    ['description', 1, str],
    ['url', 2, str],
  ],
  extensions: 3,
};

const FILE_SCHEMA: MessageLayout = {
  fields: [
    ['format', 1, str],
    ['title', 2, str],
    ['description', 3, str],
    ['default', 4, any],
    ['required', 5, strings],
    ['type', 6, str],
    ['readOnly', 7, bool],
    ['externalDocs', 8, externalDocs],
    ['example', 9, any],
  ],
  extensions: 10,
};

// --- Parameters ---

/**
 * The validation keys shared by PrimitivesItems, Header and the non-body parameter messages, in the order their
 * field numbers run: each message numbers them consecutively from its own first number.
 */
const PRIMITIVE_KEYS: readonly (readonly [key: string, write: FieldWriter])[] = [
  ['type', str],
  ['format', str],
  ['items', message(() => PRIMITIVES_ITEMS)],
  ['collectionFormat', str],
  ['default', any],
  ['maximum', double],
  ['exclusiveMaximum', bool],
  ['minimum', double],
  ['exclusiveMinimum', bool],
  ['maxLength', int64],
  ['minLength', int64],
  ['pattern', str],
  ['maxItems', int64],
  ['minItems', int64],
  ['uniqueItems', bool],
  ['enum', anys],
  ['multipleOf', double],
];

/** primitiveLayout lays out `leading` keys from field 1, then PRIMITIVE_KEYS, then `trailing` keys, then extensions. */
function primitiveLayout(leading: readonly (readonly [string, FieldWriter])[], trailing: readonly (readonly [string, FieldWriter])[] = []): MessageLayout {
  const keys = [...leading, ...PRIMITIVE_KEYS, ...trailing];
  return { fields: keys.map(([key, write], i) => [key, i + 1, write] as const), extensions: keys.length + 1 };
}

const PRIMITIVES_ITEMS: MessageLayout = primitiveLayout([]);
const HEADER: MessageLayout = primitiveLayout([], [['description', str]]);
const PARAMETER_HEAD: readonly (readonly [string, FieldWriter])[] = [
  ['required', bool],
  ['in', str],
  ['description', str],
  ['name', str],
];
/** HeaderParameterSubSchema and PathParameterSubSchema. */
const HEADER_OR_PATH_PARAMETER: MessageLayout = primitiveLayout(PARAMETER_HEAD);
/** QueryParameterSubSchema and FormDataParameterSubSchema (they add allowEmptyValue). */
const QUERY_OR_FORM_PARAMETER: MessageLayout = primitiveLayout([...PARAMETER_HEAD, ['allowEmptyValue', bool]]);

const BODY_PARAMETER: MessageLayout = {
  fields: [
    ['description', 1, str],
    ['name', 2, str],
    ['in', 3, str],
    ['required', 4, bool],
    ['schema', 5, schema],
  ],
  extensions: 6,
};

/** NonBodyParameter{oneof: header = 1, formData = 2, query = 3, path = 4}. */
const NON_BODY_FIELDS: Readonly<Record<string, readonly [number, MessageLayout]>> = {
  header: [1, HEADER_OR_PATH_PARAMETER],
  formData: [2, QUERY_OR_FORM_PARAMETER],
  query: [3, QUERY_OR_FORM_PARAMETER],
  path: [4, HEADER_OR_PATH_PARAMETER],
};

const nonBodyParameter: FieldWriter = oneof((p) => {
  const choice = typeof p['in'] === 'string' ? NON_BODY_FIELDS[p['in']] : undefined;
  if (choice === undefined) return undefined;
  const layout = choice[1];
  return [choice[0], message(() => layout)];
});

/** Parameter{oneof: body_parameter = 1, non_body_parameter = 2}. */
const parameter: FieldWriter = oneof((p) => (p['in'] === 'body' ? [1, message(() => BODY_PARAMETER)] : [2, nonBodyParameter]));

const jsonReference: FieldWriter = message(() => ({
  fields: [
    ['$ref', 1, str],
    ['description', 2, str],
  ],
}));

/** ParametersItem{oneof: parameter = 1, json_reference = 2}. */
const parametersItem: FieldWriter = oneof((p) => (typeof p['$ref'] === 'string' ? [2, jsonReference] : [1, parameter]));

// --- Responses ---

/** SchemaItem{oneof: schema = 1, file_schema = 2}. */
const schemaItem: FieldWriter = oneof((s) => (s['type'] === 'file' ? [2, message(() => FILE_SCHEMA)] : [1, schema]));

const RESPONSE: MessageLayout = {
  fields: [
    ['description', 1, str],
    ['schema', 2, schemaItem],
    ['headers', 3, namedMap(message(() => HEADER))],
    ['examples', 4, namedMap(any)],
  ],
  extensions: 5,
};

const response: FieldWriter = message(() => RESPONSE);

/** ResponseValue{oneof: response = 1, json_reference = 2}. */
const responseValue: FieldWriter = oneof((r) => (typeof r['$ref'] === 'string' ? [2, jsonReference] : [1, response]));

/** Responses{response_code = 1 (NamedResponseValue), vendor_extension = 2}. */
const responses: FieldWriter = (w, field, value) => {
  if (!isObject(value)) return;
  writeNested(w, field, (m) => {
    namedPairs(m, 1, responseValue, value, true);
    writeExtensions(m, 2, value);
  });
};

// --- Operations and paths ---

/** SecurityRequirement{additional_properties = 1: NamedStringArray{name, StringArray{value = 1}}}. */
const securityRequirement: FieldWriter = namedMap((w, field, value) => writeNested(w, field, (m) => strings(m, 1, value)));

const OPERATION: MessageLayout = {
  fields: [
    ['tags', 1, strings],
    ['summary', 2, str],
    ['description', 3, str],
    ['externalDocs', 4, externalDocs],
    ['operationId', 5, str],
    ['produces', 6, strings],
    ['consumes', 7, strings],
    ['parameters', 8, repeated(parametersItem)],
    ['responses', 9, responses],
    ['schemes', 10, strings],
    ['deprecated', 11, bool],
    ['security', 12, repeated(securityRequirement)],
  ],
  extensions: 13,
};

const operation: FieldWriter = message(() => OPERATION);

const PATH_ITEM: MessageLayout = {
  fields: [
    ['$ref', 1, str],
    ['get', 2, operation],
    ['put', 3, operation],
    ['post', 4, operation],
    ['delete', 5, operation],
    ['options', 6, operation],
    ['head', 7, operation],
    ['patch', 8, operation],
    ['parameters', 9, repeated(parametersItem)],
  ],
  extensions: 10,
};

/** Paths{vendor_extension = 1, path = 2 (NamedPathItem)}. */
const paths: FieldWriter = (w, field, value) => {
  if (!isObject(value)) return;
  writeNested(w, field, (m) => {
    writeExtensions(m, 1, value);
    namedPairs(m, 2, message(() => PATH_ITEM), value, true);
  });
};

// --- Security definitions ---

const oauth2Scopes: FieldWriter = namedMap(str);

/** The SecurityDefinitionsItem alternatives, by `type` and OAuth2 `flow`: [oneof field, layout]. */
function securityScheme(s: JsonObject): readonly [number, MessageLayout] | undefined {
  const head: MessageLayout['fields'] = [['type', 1, str]];
  if (s['type'] === 'basic') return [1, { fields: [...head, ['description', 2, str]], extensions: 3 }];
  if (s['type'] === 'apiKey') {
    return [2, { fields: [...head, ['name', 2, str], ['in', 3, str], ['description', 4, str]], extensions: 5 }];
  }
  if (s['type'] !== 'oauth2') return undefined;
  const oauth: MessageLayout['fields'] = [...head, ['flow', 2, str], ['scopes', 3, oauth2Scopes]];
  switch (s['flow']) {
    case 'implicit':
      return [3, { fields: [...oauth, ['authorizationUrl', 4, str], ['description', 5, str]], extensions: 6 }];
    case 'password':
      return [4, { fields: [...oauth, ['tokenUrl', 4, str], ['description', 5, str]], extensions: 6 }];
    case 'application':
      return [5, { fields: [...oauth, ['tokenUrl', 4, str], ['description', 5, str]], extensions: 6 }];
    case 'accessCode':
      return [6, { fields: [...oauth, ['authorizationUrl', 4, str], ['tokenUrl', 5, str], ['description', 6, str]], extensions: 7 }];
    default:
      return undefined;
  }
}

const securityDefinitionsItem: FieldWriter = oneof((s) => {
  const choice = securityScheme(s);
  if (choice === undefined) return undefined;
  const layout = choice[1];
  return [choice[0], message(() => layout)];
});

// --- Document ---

const INFO: MessageLayout = {
  fields: [
    ['title', 1, str],
    ['version', 2, str],
    ['description', 3, str],
    ['termsOfService', 4, str],
    [
      'contact',
      5,
      message(() => ({
        fields: [
          ['name', 1, str],
          ['url', 2, str],
          ['email', 3, str],
        ],
        extensions: 4,
      })),
    ],
    [
      'license',
      6,
      message(() => ({
        fields: [
          ['name', 1, str],
          ['url', 2, str],
        ],
        extensions: 3,
      })),
    ],
  ],
  extensions: 7,
};

const TAG: MessageLayout = {
  fields: [
    ['name', 1, str],
    ['description', 2, str],
    ['externalDocs', 3, externalDocs],
  ],
  extensions: 4,
};

const DOCUMENT: MessageLayout = {
  fields: [
    ['swagger', 1, str],
    ['info', 2, message(() => INFO)],
    ['host', 3, str],
    ['basePath', 4, str],
    ['schemes', 5, strings],
    ['consumes', 6, strings],
    ['produces', 7, strings],
    ['paths', 8, paths],
    ['definitions', 9, namedMap(schema)],
    ['parameters', 10, namedMap(parameter)],
    ['responses', 11, namedMap(response)],
    ['security', 12, repeated(securityRequirement)],
    ['securityDefinitions', 13, namedMap(securityDefinitionsItem)],
    ['tags', 14, repeated(message(() => TAG))],
    ['externalDocs', 15, externalDocs],
  ],
  extensions: 16,
};
