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

function parameter(p: ParameterSpec): JsonObject {
  return {
    name: p.name,
    in: p.in,
    description: p.description,
    ...(p.required === true ? { required: true } : {}),
    schema: { type: p.type, uniqueItems: true },
  };
}

function operation(op: OperationSpec, tag: string, components: ComponentSchemas): JsonObject {
  const out: JsonObject = { tags: [tag], description: op.description, operationId: op.operationId };
  if (op.parameters.length > 0) out['parameters'] = op.parameters.map(parameter);
  if (op.body !== undefined) {
    const content: JsonObject = {};
    for (const type of op.body.contentTypes) content[type] = { schema: components.referTo(op.body.definition) };
    out['requestBody'] = { content, ...(op.body.required ? { required: true } : {}) };
  }
  const responses: JsonObject = {};
  for (const r of op.responses) {
    if (r.code === '401') {
      responses[r.code] = { description: r.description };
      continue;
    }
    const content: JsonObject = {};
    if (r.definition === undefined) {
      content['*/*'] = { schema: { type: 'string' } };
    } else {
      for (const type of op.responseForm === 'stream' ? STREAM_TYPES : OBJECT_TYPES) content[type] = { schema: components.referTo(r.definition) };
    }
    responses[r.code] = { description: r.description, content };
  }
  out['responses'] = responses;
  if (op.action !== undefined) out['x-kubernetes-action'] = op.action;
  if (op.gvk !== undefined) out['x-kubernetes-group-version-kind'] = { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version };
  return out;
}

/** renderV3Document renders paths and schemas as one OpenAPI 3.0 document. */
export function renderV3Document(paths: readonly PathSpec[], components: ComponentSchemas, info: DocumentInfo): JsonObject {
  const rendered: JsonObject = {};
  for (const spec of paths) {
    const item: JsonObject = {};
    for (const op of spec.operations) item[op.method] = operation(op, spec.tag, components);
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
