/**
 * Resource paths: the REST operations of every resource of one group/version, described independently of the
 * OpenAPI version they are rendered in. Each operation carries upstream's `operationId` form
 * (`<verb><Group><Version>[Namespaced]<Kind>[<Subresource>]`), `x-kubernetes-action`, the group/version/kind it acts
 * on, and its query parameters. Clients rely on the last two: kubectl looks for the PATCH operation of a kind and
 * sends `fieldValidation` only if that operation lists it.
 */
import { groupVersionOf } from '../../api/scheme.js';
import type { ResourceInfo, SubresourceInfo } from '../../api/scheme.js';
import type { GroupVersionKind } from '../../api/schema/types.js';
import {
  CONNECT_PARAMETERS,
  CREATE_PARAMETERS,
  DELETE_COLLECTION_PARAMETERS,
  DELETE_PARAMETERS,
  LIST_PARAMETERS,
  LOG_PARAMETERS,
  PATCH_PARAMETERS,
  pathParameter,
  queryParameters,
  type ParameterSpec,
} from './query-parameters.js';

/** Definition names of the apimachinery types operations refer to. */
export const META_DEFINITIONS = {
  status: 'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
  deleteOptions: 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
  patch: 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
  watchEvent: 'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent',
  apiResourceList: 'io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList',
  listMeta: 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta',
} as const;

/** PATCH_CONTENT_TYPES are the patch formats every kind accepts; built-in kinds also take strategic merge patch. */
export const PATCH_CONTENT_TYPES: readonly string[] = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
];
/** STRATEGIC_MERGE_PATCH is the content type of a strategic merge patch. */
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

/** RequestBodySpec is the body an operation takes. */
export interface RequestBodySpec {
  /** Definition name of the body's schema. */
  readonly definition: string;
  readonly contentTypes: readonly string[];
  readonly required: boolean;
}

/** ResponseSpec is one response; `definition` undefined means a plain-text (string) body. */
export interface ResponseSpec {
  readonly code: string;
  readonly description: string;
  readonly definition?: string;
}

/** OperationSpec is one HTTP method on one path. */
export interface OperationSpec {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  readonly operationId: string;
  readonly description: string;
  /** `x-kubernetes-action`: get, list, watch, watchlist, post, put, patch, delete, deletecollection, connect. */
  readonly action?: string;
  readonly gvk?: GroupVersionKind;
  readonly parameters: readonly ParameterSpec[];
  readonly body?: RequestBodySpec;
  readonly responses: readonly ResponseSpec[];
  /** The response may be a watch stream or plain text instead of a JSON object. */
  readonly responseForm: 'object' | 'stream' | 'text';
}

/** PathSpec is one path with its shared parameters and operations. */
export interface PathSpec {
  readonly path: string;
  /** The tag of the path's operations, e.g. "apps_v1". */
  readonly tag: string;
  readonly parameters: readonly ParameterSpec[];
  readonly operations: readonly OperationSpec[];
}

/** DefinitionResolver names the schema definition of a kind (and registers it with the document). */
export type DefinitionResolver = (gvk: GroupVersionKind) => string;

/** ResourcePathsOptions is the input of resourcePaths. */
export interface ResourcePathsOptions {
  readonly group: string;
  readonly version: string;
  /** The resources served at group/version. */
  readonly resources: readonly ResourceInfo[];
  /** Resolves the definition of a kind; called for every kind and `<Kind>List` the operations refer to. */
  readonly definitionOf: DefinitionResolver;
  /** Whether a kind takes strategic merge patches (built-in kinds do, custom resources do not). */
  readonly acceptsStrategicMerge: (gvk: GroupVersionKind) => boolean;
}

const PRETTY = queryParameters(['pretty']);
const UNAUTHORIZED: ResponseSpec = { code: '401', description: 'Unauthorized' };
const CONNECT_SUBRESOURCES = new Set(['attach', 'exec', 'portforward', 'proxy']);

function capitalize(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}

/** operationGroupName turns a group into its operationId form: "" → Core, rbac.authorization.k8s.io → RbacAuthorization. */
export function operationGroupName(group: string): string {
  if (group === '') return 'Core';
  const trimmed = group.endsWith('.k8s.io') ? group.slice(0, -'.k8s.io'.length) : group;
  return trimmed.split(/[.-]/).map(capitalize).join('');
}

/** operationTag is the tag grouping a group/version's operations, e.g. "core_v1", "rbacAuthorization_v1". */
export function operationTag(group: string, version: string): string {
  const name = operationGroupName(group);
  return `${name[0]!.toLowerCase()}${name.slice(1)}_${version}`;
}

/** resourcePaths describes every path of the resources of one group/version, sorted by path. */
export function resourcePaths(options: ResourcePathsOptions): PathSpec[] {
  const { group, version } = options;
  const prefix = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const gvName = `${operationGroupName(group)}${capitalize(version)}`;
  const paths = new Map<string, { parameters: ParameterSpec[]; operations: OperationSpec[] }>();
  const at = (path: string, parameters: ParameterSpec[]): OperationSpec[] => {
    let entry = paths.get(path);
    if (entry === undefined) {
      entry = { parameters, operations: [] };
      paths.set(path, entry);
    }
    return entry.operations;
  };

  at(`${prefix}/`, []).push({
    method: 'get',
    operationId: `get${gvName}APIResources`,
    description: `Get the resources served at ${groupVersionOf(group, version)}.`,
    parameters: [],
    responses: [{ code: '200', description: 'OK', definition: META_DEFINITIONS.apiResourceList }, UNAUTHORIZED],
    responseForm: 'object',
  });

  for (const info of options.resources) {
    const gvk: GroupVersionKind = { group, version, kind: info.kind };
    const definition = options.definitionOf(gvk);
    const verbs = new Set(info.verbs);
    const scope = info.namespaced ? 'Namespaced' : '';
    const nsPath = info.namespaced ? '/namespaces/{namespace}' : '';
    const nsParams = info.namespaced ? [pathParameter('namespace', info.kind)] : [];
    const collection = `${prefix}${nsPath}/${info.resource}`;
    const item = `${collection}/{name}`;
    const itemParams = [pathParameter('name', info.kind), ...nsParams, ...PRETTY];
    const patchTypes = options.acceptsStrategicMerge(gvk) ? [...PATCH_CONTENT_TYPES, STRATEGIC_MERGE_PATCH] : PATCH_CONTENT_TYPES;
    const op = (spec: Omit<OperationSpec, 'gvk' | 'responseForm'> & Partial<Pick<OperationSpec, 'gvk' | 'responseForm'>>): OperationSpec => ({
      gvk,
      responseForm: 'object',
      ...spec,
    });
    const ok = (def: string, ...codes: string[]): ResponseSpec[] => [
      ...['200', ...codes].map((code) => ({ code, description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK', definition: def })),
      UNAUTHORIZED,
    ];

    if (verbs.has('list')) {
      const listDefinition = options.definitionOf({ ...gvk, kind: `${info.kind}List` });
      const list = (operationId: string): OperationSpec =>
        op({
          method: 'get',
          operationId,
          description: `List or watch objects of kind ${info.kind}.`,
          action: 'list',
          parameters: queryParameters(LIST_PARAMETERS),
          responses: ok(listDefinition),
          responseForm: 'stream',
        });
      at(collection, [...nsParams, ...PRETTY]).push(list(`list${gvName}${scope}${info.kind}`));
      if (info.namespaced) at(`${prefix}/${info.resource}`, [...PRETTY]).push(list(`list${gvName}${info.kind}ForAllNamespaces`));
    }
    if (verbs.has('create')) {
      at(collection, [...nsParams, ...PRETTY]).push(
        op({
          method: 'post',
          operationId: `create${gvName}${scope}${info.kind}`,
          description: `Create a ${info.kind}.`,
          action: 'post',
          parameters: queryParameters(CREATE_PARAMETERS),
          body: { definition, contentTypes: ['*/*'], required: true },
          responses: ok(definition, '201', '202'),
        }),
      );
    }
    if (verbs.has('deletecollection')) {
      at(collection, [...nsParams, ...PRETTY]).push(
        op({
          method: 'delete',
          operationId: `delete${gvName}Collection${scope}${info.kind}`,
          description: `Delete a collection of ${info.kind} objects.`,
          action: 'deletecollection',
          parameters: queryParameters(DELETE_COLLECTION_PARAMETERS),
          body: { definition: META_DEFINITIONS.deleteOptions, contentTypes: ['*/*'], required: false },
          responses: ok(META_DEFINITIONS.status),
        }),
      );
    }
    if (verbs.has('get')) {
      at(item, itemParams).push(
        op({
          method: 'get',
          operationId: `read${gvName}${scope}${info.kind}`,
          description: `Read the specified ${info.kind}.`,
          action: 'get',
          parameters: [],
          responses: ok(definition),
        }),
      );
    }
    if (verbs.has('update')) {
      at(item, itemParams).push(
        op({
          method: 'put',
          operationId: `replace${gvName}${scope}${info.kind}`,
          description: `Replace the specified ${info.kind}.`,
          action: 'put',
          parameters: queryParameters(CREATE_PARAMETERS),
          body: { definition, contentTypes: ['*/*'], required: true },
          responses: ok(definition, '201'),
        }),
      );
    }
    if (verbs.has('patch')) {
      at(item, itemParams).push(
        op({
          method: 'patch',
          operationId: `patch${gvName}${scope}${info.kind}`,
          description: `Partially update the specified ${info.kind}.`,
          action: 'patch',
          parameters: queryParameters(PATCH_PARAMETERS),
          body: { definition: META_DEFINITIONS.patch, contentTypes: patchTypes, required: true },
          responses: ok(definition, '201'),
        }),
      );
    }
    if (verbs.has('delete')) {
      at(item, itemParams).push(
        op({
          method: 'delete',
          operationId: `delete${gvName}${scope}${info.kind}`,
          description: `Delete the specified ${info.kind}.`,
          action: 'delete',
          parameters: queryParameters(DELETE_PARAMETERS),
          body: { definition: META_DEFINITIONS.deleteOptions, contentTypes: ['*/*'], required: false },
          responses: ok(definition, '202'),
        }),
      );
    }
    if (verbs.has('watch')) {
      const watch = (operationId: string, action: string, description: string): OperationSpec =>
        op({
          method: 'get',
          operationId,
          description,
          action,
          parameters: queryParameters(LIST_PARAMETERS),
          responses: ok(META_DEFINITIONS.watchEvent),
          responseForm: 'stream',
        });
      const watchPrefix = `${prefix}/watch`;
      at(`${watchPrefix}${nsPath}/${info.resource}`, [...nsParams, ...PRETTY]).push(
        watch(`watch${gvName}${scope}${info.kind}List`, 'watchlist', `Watch changes to a list of ${info.kind}. Deprecated: use the watch parameter of the list operation.`),
      );
      at(`${watchPrefix}${nsPath}/${info.resource}/{name}`, itemParams).push(
        watch(`watch${gvName}${scope}${info.kind}`, 'watch', `Watch changes to one ${info.kind}. Deprecated: use the watch parameter of the list operation with a field selector.`),
      );
      if (info.namespaced) {
        at(`${watchPrefix}/${info.resource}`, [...PRETTY]).push(
          watch(`watch${gvName}${info.kind}ListForAllNamespaces`, 'watchlist', `Watch changes to a list of ${info.kind} in every namespace. Deprecated: use the watch parameter of the list operation.`),
        );
      }
    }
    for (const sub of info.subresources ?? []) {
      const subPath = `${item}/${sub.name}`;
      const names = { gvName, scope, kind: info.kind, sub: capitalize(sub.name) };
      at(subPath, itemParams).push(...subresourceOperations(sub, gvk, definition, names, patchTypes, options.definitionOf, ok));
    }
  }
  return [...paths.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, entry]) => ({ path, tag: operationTag(group, version), parameters: entry.parameters, operations: entry.operations }));
}

interface OperationNames {
  readonly gvName: string;
  readonly scope: string;
  readonly kind: string;
  readonly sub: string;
}

function subresourceOperations(
  sub: SubresourceInfo,
  parent: GroupVersionKind,
  parentDefinition: string,
  names: OperationNames,
  patchTypes: readonly string[],
  definitionOf: DefinitionResolver,
  ok: (def: string, ...codes: string[]) => ResponseSpec[],
): OperationSpec[] {
  const connect = CONNECT_SUBRESOURCES.has(sub.name);
  // A connect operation must not carry the parent's kind: kubectl takes the first PATCH operation tagged with a kind
  // as that kind's PATCH, and the proxy PATCH lists no fieldValidation. Upstream tags them `<Kind><Sub>Options`.
  const gvk = sub.kind ?? (connect ? { ...parent, kind: `${parent.kind}${names.sub}Options` } : parent);
  const suffix = `${names.scope}${names.kind}${names.sub}`;
  const operations: OperationSpec[] = [];
  const methods: Array<[verb: string, method: OperationSpec['method']]> = [
    ['get', 'get'],
    ['create', 'post'],
    ['update', 'put'],
    ['patch', 'patch'],
    ['delete', 'delete'],
  ];
  if (connect) {
    const text: ResponseSpec[] = [{ code: '200', description: 'OK' }, { code: '401', description: 'Unauthorized' }];
    for (const [verb, method] of methods) {
      if (!sub.verbs.includes(verb)) continue;
      operations.push({
        method,
        operationId: `connect${names.gvName}${capitalize(method)}${suffix}`,
        description: `Connect ${method.toUpperCase()} requests to the ${sub.name} of a ${names.kind}.`,
        action: 'connect',
        gvk,
        parameters: queryParameters(CONNECT_PARAMETERS[sub.name] ?? []),
        responses: text,
        responseForm: 'text',
      });
    }
    return operations;
  }
  if (sub.name === 'log') {
    return [
      {
        method: 'get',
        operationId: `read${names.gvName}${suffix}`,
        description: `Read the log of a ${names.kind}.`,
        action: 'get',
        gvk: parent,
        parameters: queryParameters(LOG_PARAMETERS),
        responses: [{ code: '200', description: 'OK' }, { code: '401', description: 'Unauthorized' }],
        responseForm: 'text',
      },
    ];
  }
  const definition = sub.kind === undefined ? parentDefinition : definitionOf(sub.kind);
  const what = `the ${sub.name} of the specified ${names.kind}`;
  for (const [verb, method] of methods) {
    if (!sub.verbs.includes(verb)) continue;
    const common = { gvk, responseForm: 'object' as const };
    switch (method) {
      case 'get':
        operations.push({ ...common, method, operationId: `read${names.gvName}${suffix}`, description: `Read ${what}.`, action: 'get', parameters: [], responses: ok(definition) });
        break;
      case 'post':
        operations.push({
          ...common,
          method,
          operationId: `create${names.gvName}${suffix}`,
          description: `Create ${what}.`,
          action: 'post',
          parameters: queryParameters(CREATE_PARAMETERS),
          body: { definition, contentTypes: ['*/*'], required: true },
          responses: ok(definition, '201', '202'),
        });
        break;
      case 'put':
        operations.push({
          ...common,
          method,
          operationId: `replace${names.gvName}${suffix}`,
          description: `Replace ${what}.`,
          action: 'put',
          parameters: queryParameters(CREATE_PARAMETERS),
          body: { definition, contentTypes: ['*/*'], required: true },
          responses: ok(definition, '201'),
        });
        break;
      case 'patch':
        operations.push({
          ...common,
          method,
          operationId: `patch${names.gvName}${suffix}`,
          description: `Partially update ${what}.`,
          action: 'patch',
          parameters: queryParameters(PATCH_PARAMETERS),
          body: { definition: META_DEFINITIONS.patch, contentTypes: patchTypes, required: true },
          responses: ok(definition, '201'),
        });
        break;
      case 'delete':
        operations.push({
          ...common,
          method,
          operationId: `delete${names.gvName}${suffix}`,
          description: `Delete ${what}.`,
          action: 'delete',
          parameters: queryParameters(DELETE_PARAMETERS),
          responses: ok(definition, '202'),
        });
        break;
    }
  }
  return operations;
}
