/**
 * renderV2Document: a Swagger 2.0 document (`/openapi/v2`) from the same path specs and schema model as the v3
 * documents. Some tools still read v2; kubectl falls back to it when v3 is missing.
 */
import type { ComponentSchemas, JsonObject } from './component-schemas.js';
import { BEARER_TOKEN_SCHEME, SECURITY_SCHEME_NAME, type DocumentInfo } from './openapi-v3-document.js';
import type { ParameterSpec } from './query-parameters.js';
import type { OperationSpec, PathSpec } from './resource-paths.js';

const OBJECT_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const STREAM_TYPES = [...OBJECT_TYPES, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];

function parameter(p: ParameterSpec): JsonObject {
  return {
    uniqueItems: true,
    type: p.type,
    description: p.description,
    name: p.name,
    in: p.in,
    ...(p.required === true ? { required: true } : {}),
  };
}

function operation(op: OperationSpec, tag: string, components: ComponentSchemas): JsonObject {
  const parameters = op.parameters.map(parameter);
  if (op.body !== undefined) {
    parameters.unshift({ name: 'body', in: 'body', ...(op.body.required ? { required: true } : {}), schema: components.referTo(op.body.definition) });
  }
  const responses: JsonObject = {};
  for (const r of op.responses) {
    if (r.code === '401') responses[r.code] = { description: r.description };
    else responses[r.code] = { description: r.description, schema: r.definition === undefined ? { type: 'string' } : components.referTo(r.definition) };
  }
  return {
    description: op.description,
    consumes: op.body?.contentTypes ?? ['*/*'],
    produces: op.responseForm === 'text' ? ['*/*'] : op.responseForm === 'stream' ? STREAM_TYPES : OBJECT_TYPES,
    schemes: ['https'],
    tags: [tag],
    operationId: op.operationId,
    ...(parameters.length > 0 ? { parameters } : {}),
    responses,
    ...(op.action !== undefined ? { 'x-kubernetes-action': op.action } : {}),
    ...(op.gvk !== undefined ? { 'x-kubernetes-group-version-kind': { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version } } : {}),
  };
}

/** renderV2Document renders paths and schemas as one Swagger 2.0 document. */
export function renderV2Document(paths: readonly PathSpec[], components: ComponentSchemas, info: DocumentInfo): JsonObject {
  const rendered: JsonObject = {};
  for (const spec of paths) {
    const item: JsonObject = {};
    for (const op of spec.operations) item[op.method] = operation(op, spec.tag, components);
    if (spec.parameters.length > 0) item['parameters'] = spec.parameters.map(parameter);
    rendered[spec.path] = item;
  }
  return {
    swagger: '2.0',
    info: { title: info.title, version: info.version },
    paths: rendered,
    definitions: components.toJSON(),
    securityDefinitions: { [SECURITY_SCHEME_NAME]: BEARER_TOKEN_SCHEME },
    security: [{ [SECURITY_SCHEME_NAME]: [] }],
  };
}
