/**
 * OpenApiDocuments: the OpenAPI documents the API server publishes, built from the served resources and the schema
 * model.
 * - `/openapi/v3` is an index naming one document per group/version (plus the discovery roots `api`, `apis` and
 *   `apis/<group>`), each with the hash of its content; clients fetch `/openapi/v3/<path>?hash=<hash>` and may cache
 *   it forever.
 * - `/openapi/v2` is one Swagger 2.0 document for everything.
 * Documents are built lazily on first request and cached with their hash until the resources or schemas change; a
 * cold instance does no work. Building the index builds every v3 document, because the index carries their hashes.
 */
import { COMMON_FIELD_DESCRIPTIONS } from './common-field-descriptions.js';
import { KUBERNETES_VERSION } from '../../api/version.js';
import { PREFERRED_VERSIONS } from '../../api/scheme.js';
import type { ResourceInfo } from '../../api/scheme.js';
import type { GroupVersionKind, SchemaLookup } from '../../api/schema/types.js';
import { groupResources, type ResourceGroup } from '../discovery/resource-groups.js';
import { serializeDocument, type ServedDocument } from '../negotiation/served-document.js';
import { ComponentSchemas, type JsonObject } from './component-schemas.js';
import { ensureDefinition, kindDefinitionResolver } from './kind-definitions.js';
import { renderV2Document } from './openapi-v2-document.js';
import { renderV3Document, type DocumentInfo } from './openapi-v3-document.js';
import { operationGroupName, resourcePaths, type PathSpec } from './resource-paths.js';

/** OpenApiDocumentsConfig is the construction input of OpenApiDocuments. */
export interface OpenApiDocumentsConfig {
  /** The served resources, e.g. BUILTIN_RESOURCES. */
  readonly resources: readonly ResourceInfo[];
  /** The schema model, e.g. builtinSchemas(). */
  readonly schemas: SchemaLookup;
  /** Preferred version per group where several are served. @default PREFERRED_VERSIONS */
  readonly preferredVersions?: Readonly<Record<string, string>>;
  /**
   * Schemas of kinds the model does not know (custom resources: their CRD's `openAPIV3Schema`), used as given.
   * Kinds without one are published as objects that keep unknown fields. @default none
   */
  readonly customResourceSchemas?: CustomResourceSchemas;
  /** The documents' `info`. @default { title: 'Kubernetes', version: KUBERNETES_VERSION } */
  readonly info?: DocumentInfo;
}

/** CustomResourceSchemas supplies the published schema of kinds outside the schema model. */
export interface CustomResourceSchemas {
  /** Returns the JSON schema of a kind's objects, or undefined when it has none. The result must not be mutated later. */
  schema(gvk: GroupVersionKind): JsonObject | undefined;
}

const DISCOVERY_DEFINITIONS = {
  apiVersions: 'io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions',
  apiGroupList: 'io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList',
  apiGroup: 'io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup',
} as const;

/** OpenApiDocuments renders and caches the OpenAPI v3 and v2 documents. */
export class OpenApiDocuments {
  #resources: readonly ResourceInfo[];
  #schemas: SchemaLookup;
  readonly #preferredVersions: Readonly<Record<string, string>>;
  readonly #info: DocumentInfo;
  #custom: CustomResourceSchemas | undefined;
  #groups: ResourceGroup[] | undefined;
  #v3 = new Map<string, ServedDocument | undefined>();
  #v3Index: ServedDocument | undefined;
  #v2: ServedDocument | undefined;

  constructor(config: OpenApiDocumentsConfig) {
    this.#resources = config.resources;
    this.#schemas = config.schemas;
    this.#preferredVersions = config.preferredVersions ?? PREFERRED_VERSIONS;
    this.#info = config.info ?? { title: 'Kubernetes', version: KUBERNETES_VERSION };
    this.#custom = config.customResourceSchemas;
  }

  /**
   * setResources replaces the served resources and, when given, the schema model and custom resource schemas
   * (custom resources come and go); every document is rebuilt on its next request.
   */
  setResources(resources: readonly ResourceInfo[], schemas?: { model?: SchemaLookup; custom?: CustomResourceSchemas }): void {
    this.#resources = resources;
    if (schemas?.model !== undefined) this.#schemas = schemas.model;
    if (schemas?.custom !== undefined) this.#custom = schemas.custom;
    this.#groups = undefined;
    this.#v3.clear();
    this.#v3Index = undefined;
    this.#v2 = undefined;
  }

  /** v3Paths returns the document paths the v3 index names ("api", "api/v1", "apis", "apis/apps", "apis/apps/v1", …). */
  v3Paths(): string[] {
    const paths = ['api', 'apis'];
    for (const group of this.#resourceGroups()) {
      if (group.name !== '') paths.push(`apis/${group.name}`);
      for (const gv of group.versions) paths.push(group.name === '' ? `api/${gv.version}` : `apis/${group.name}/${gv.version}`);
    }
    return paths.sort();
  }

  /** v3Index returns the `/openapi/v3` document: `{"paths": {"<path>": {"serverRelativeURL": "/openapi/v3/<path>?hash=<HASH>"}}}`. */
  v3Index(): ServedDocument {
    if (this.#v3Index === undefined) {
      const paths: Record<string, { serverRelativeURL: string }> = {};
      for (const path of this.v3Paths()) {
        const doc = this.v3Document(path);
        if (doc !== undefined) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${doc.hash}` };
      }
      this.#v3Index = serializeDocument({ paths });
    }
    return this.#v3Index;
  }

  /** v3Document returns the document at a path such as "apis/apps/v1" (no leading slash), or undefined if unknown. */
  v3Document(path: string): ServedDocument | undefined {
    path = path.replace(/^\/+|\/+$/g, '');
    if (!this.#v3.has(path)) {
      const doc = this.#buildV3(path);
      this.#v3.set(path, doc === undefined ? undefined : serializeDocument(doc));
    }
    return this.#v3.get(path);
  }

  /** v3 is v3Document under the name the API server's OpenApiProvider uses. */
  v3(path: string): ServedDocument | undefined {
    return this.v3Document(path);
  }

  /** v2 returns the `/openapi/v2` document (Swagger 2.0, JSON). */
  v2(): ServedDocument {
    if (this.#v2 === undefined) {
      const components = new ComponentSchemas(this.#schemas, 'v2', COMMON_FIELD_DESCRIPTIONS);
      const paths: PathSpec[] = [...this.#rootPaths(components), ...this.#groupRootPaths(components)];
      for (const group of this.#resourceGroups()) {
        for (const gv of group.versions) paths.push(...this.#groupVersionPaths(components, group.name, gv.version, gv.resources));
      }
      paths.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      this.#v2 = serializeDocument(renderV2Document(paths, components, this.#info));
    }
    return this.#v2;
  }

  #resourceGroups(): ResourceGroup[] {
    this.#groups ??= groupResources(this.#resources, this.#preferredVersions);
    return this.#groups;
  }

  #buildV3(path: string): object | undefined {
    const components = new ComponentSchemas(this.#schemas, 'v3', COMMON_FIELD_DESCRIPTIONS);
    const parts = path.split('/');
    let paths: PathSpec[] | undefined;
    if (path === 'api' || path === 'apis') {
      paths = this.#rootPaths(components).filter((p) => p.path === `/${path}/`);
    } else if (parts.length === 2 && parts[0] === 'api') {
      const gv = this.#resourceGroups()
        .find((g) => g.name === '')
        ?.versions.find((v) => v.version === parts[1]);
      if (gv !== undefined) paths = this.#groupVersionPaths(components, '', gv.version, gv.resources);
    } else if (parts.length === 2 && parts[0] === 'apis') {
      paths = this.#groupRootPaths(components).filter((p) => p.path === `/apis/${parts[1]}/`);
      if (paths.length === 0) paths = undefined;
    } else if (parts.length === 3 && parts[0] === 'apis' && parts[1] !== '') {
      const gv = this.#resourceGroups()
        .find((g) => g.name === parts[1])
        ?.versions.find((v) => v.version === parts[2]);
      if (gv !== undefined) paths = this.#groupVersionPaths(components, parts[1] ?? '', gv.version, gv.resources);
    }
    return paths === undefined ? undefined : renderV3Document(paths, components, this.#info);
  }

  #groupVersionPaths(components: ComponentSchemas, group: string, version: string, resources: readonly ResourceInfo[]): PathSpec[] {
    const schemas = this.#schemas;
    const paths = resourcePaths({
      group,
      version,
      resources,
      definitionOf: kindDefinitionResolver(schemas, components, (gvk) => this.#custom?.schema(gvk)),
      acceptsStrategicMerge: (gvk) => schemas.kind(gvk) !== undefined,
    });
    this.#ensureReferenced(components, paths);
    return paths;
  }

  #rootPaths(components: ComponentSchemas): PathSpec[] {
    const paths: PathSpec[] = [
      discoveryPath('/api/', 'core', 'getCoreAPIVersions', 'Get the versions of the core API group.', DISCOVERY_DEFINITIONS.apiVersions),
      discoveryPath('/apis/', 'apis', 'getAPIVersions', 'Get the named API groups and their versions.', DISCOVERY_DEFINITIONS.apiGroupList),
    ];
    this.#ensureReferenced(components, paths);
    return paths;
  }

  #groupRootPaths(components: ComponentSchemas): PathSpec[] {
    const paths = this.#resourceGroups()
      .filter((g) => g.name !== '')
      .map((g) => {
        const name = operationGroupName(g.name);
        const tag = `${name[0]?.toLowerCase() ?? ''}${name.slice(1)}`;
        return discoveryPath(`/apis/${g.name}/`, tag, `get${operationGroupName(g.name)}APIGroup`, `Get the versions of the ${g.name} group.`, DISCOVERY_DEFINITIONS.apiGroup);
      });
    this.#ensureReferenced(components, paths);
    return paths;
  }

  #ensureReferenced(components: ComponentSchemas, paths: readonly PathSpec[]): void {
    for (const path of paths) {
      for (const op of path.operations) {
        if (op.body !== undefined) ensureDefinition(this.#schemas, components, op.body.definition);
        for (const r of op.responses) if (r.definition !== undefined) ensureDefinition(this.#schemas, components, r.definition);
      }
    }
  }
}

function discoveryPath(path: string, tag: string, operationId: string, description: string, definition: string): PathSpec {
  return {
    path,
    tag,
    parameters: [],
    operations: [
      {
        method: 'get',
        operationId,
        description,
        parameters: [],
        responses: [
          { code: '200', description: 'OK', definition },
          { code: '401', description: 'Unauthorized' },
        ],
        responseForm: 'object',
      },
    ],
  };
}
