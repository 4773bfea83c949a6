/**
 * renderV3Document: an OpenAPI 3.0 document from path specs and collected component schemas, in the shape the API
 * server publishes under `/openapi/v3/<prefix>`. Parameters are written inline on each operation (not as
 * `components.parameters` references) so that clients find `fieldValidation` and friends without resolving anything.
 */
import type { ComponentSchemas, JsonObject } from './component-schemas.js';
import type { ParameterSpec } from './query-parameters.js';
import type { OperationSpec, PathSpec } from './resource-paths.js';

/** DocumentInfo is the `info` object of an OpenAPI document. */
export interface DocumentInfo {
  readonly title: string;
  readonly version: string;
}

const OBJECT_TYPES = ['application/json', 'application/vnd.kubernetes.protobuf', 'application/yaml'];
const STREAM_TYPES = [...OBJECT_TYPES, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];

/** SECURITY_SCHEME_NAME is the bearer-token scheme both OpenAPI versions declare. */
export const SECURITY_SCHEME_NAME = 'BearerToken';

/** BEARER_TOKEN_SCHEME is the declaration of SECURITY_SCHEME_NAME. */
export const BEARER_TOKEN_SCHEME = { type: 'apiKey', description: 'Bearer token authentication', name: 'authorization', in: 'header' };

const renderedParameters = new WeakMap<ParameterSpec, JsonObject>();

/** Parameter specs are shared constants, so their rendered form is shared too (the output is never mutated). */
function parameter(p: ParameterSpec): JsonObject {
  let out = renderedParameters.get(p);
  if (out === undefined) {
    out = {
      name: p.name,
      in: p.in,
      description: p.description,
      ...(p.required === true ? { required: true } : {}),
      schema: { type: p.type, uniqueItems: true },
    };
    renderedParameters.set(p, out);
  }
  return out;
}

/**
 * Contents renders `content` maps, sharing one object per definition and form within a document: most operations
 * answer with the same few schemas, and sharing keeps building all documents cheap.
 */
class Contents {
  readonly #components: ComponentSchemas;
  readonly #cache = new Map<string, JsonObject>();

  constructor(components: ComponentSchemas) {
    this.#components = components;
  }

  of(definition: string | undefined, types: readonly string[]): JsonObject {
    const key = `${definition ?? ''} ${types.join(',')}`;
    let out = this.#cache.get(key);
    if (out === undefined) {
      const schema = definition === undefined ? { type: 'string' } : this.#components.referTo(definition);
      out = {};
      for (const type of types) out[type] = { schema };
      this.#cache.set(key, out);
    }
    return out;
  }
}

function operation(op: OperationSpec, tag: string, contents: Contents): JsonObject {
  const out: JsonObject = { tags: [tag], description: op.description, operationId: op.operationId };
  if (op.parameters.length > 0) out['parameters'] = op.parameters.map(parameter);
  if (op.body !== undefined) {
    out['requestBody'] = { content: contents.of(op.body.definition, op.body.contentTypes), ...(op.body.required ? { required: true } : {}) };
  }
  const responses: JsonObject = {};
  for (const r of op.responses) {
    if (r.code === '401') {
      responses[r.code] = { description: r.description };
      continue;
    }
    const types = r.definition === undefined ? ['*/*'] : op.responseForm === 'stream' ? STREAM_TYPES : OBJECT_TYPES;
    responses[r.code] = { description: r.description, content: contents.of(r.definition, types) };
  }
  out['responses'] = responses;
  if (op.action !== undefined) out['x-kubernetes-action'] = op.action;
  if (op.gvk !== undefined) out['x-kubernetes-group-version-kind'] = { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version };
  return out;
}

/** renderV3Document renders paths and schemas as one OpenAPI 3.0 document. */
export function renderV3Document(paths: readonly PathSpec[], components: ComponentSchemas, info: DocumentInfo): JsonObject {
  const rendered: JsonObject = {};
  const contents = new Contents(components);
  for (const spec of paths) {
    const item: JsonObject = {};
    for (const op of spec.operations) item[op.method] = operation(op, spec.tag, contents);
    if (spec.parameters.length > 0) item['parameters'] = spec.parameters.map(parameter);
    rendered[spec.path] = item;
  }
  return {
    openapi: '3.0.0',
    info: { title: info.title, version: info.version },
    paths: rendered,
    components: { schemas: components.toJSON(), securitySchemes: { [SECURITY_SCHEME_NAME]: BEARER_TOKEN_SCHEME } },
    security: [{ [SECURITY_SCHEME_NAME]: [] }],
  };
}
