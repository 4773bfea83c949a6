/**
 * DiscoveryDocuments: every discovery document the API server serves, built from the list of served resources.
 * Documents are rendered lazily on first request and cached until the resource list changes (custom resources come
 * and go at run time), so serving one is a map lookup. A cold instance does no work.
 */
import { PREFERRED_VERSIONS } from '../../api/scheme.js';
import type { ResourceInfo } from '../../api/scheme.js';
import { buildAggregatedDiscovery } from './aggregated-discovery.js';
import { buildAPIGroupList, buildAPIResourceList, buildAPIVersions, type ServerAddressByClientCIDR } from './legacy-discovery.js';
import { groupResources, type ResourceGroup } from './resource-groups.js';
import { serializeDocument, type ServedDocument } from '../negotiation/served-document.js';

/** DiscoveryDocumentsConfig is the construction input of DiscoveryDocuments. */
export interface DiscoveryDocumentsConfig {
  /** The served resources, e.g. BUILTIN_RESOURCES. */
  readonly resources: readonly ResourceInfo[];
  /** Preferred version per group where several are served. @default PREFERRED_VERSIONS */
  readonly preferredVersions?: Readonly<Record<string, string>>;
  /** Published in `/api` (APIVersions). @default [] */
  readonly serverAddressByClientCIDRs?: readonly ServerAddressByClientCIDR[];
}

/** DiscoveryDocuments renders and caches the discovery documents of a resource list. */
export class DiscoveryDocuments {
  #resources: readonly ResourceInfo[];
  readonly #preferredVersions: Readonly<Record<string, string>>;
  readonly #addresses: readonly ServerAddressByClientCIDR[];
  #groups: ResourceGroup[] | undefined;
  #cache = new Map<string, ServedDocument | undefined>();

  constructor(config: DiscoveryDocumentsConfig) {
    this.#resources = config.resources;
    this.#preferredVersions = config.preferredVersions ?? PREFERRED_VERSIONS;
    this.#addresses = config.serverAddressByClientCIDRs ?? [];
  }

  /** resources returns the current resource list. */
  get resources(): readonly ResourceInfo[] {
    return this.#resources;
  }

  /** setResources replaces the resource list; every document is rebuilt on its next request. */
  setResources(resources: readonly ResourceInfo[]): void {
    this.#resources = resources;
    this.#groups = undefined;
    this.#cache.clear();
  }

  /** groups returns the resources arranged by group and version (core group first, if served). */
  groups(): readonly ResourceGroup[] {
    this.#groups ??= groupResources(this.#resources, this.#preferredVersions);
    return this.#groups;
  }

  /** apiVersions returns the `/api` document (APIVersions). */
  apiVersions(): ServedDocument {
    return this.#always('api', () => buildAPIVersions(this.#group(''), this.#addresses));
  }

  /** apiGroupList returns the `/apis` document (APIGroupList). */
  apiGroupList(): ServedDocument {
    return this.#always('apis', () => buildAPIGroupList(this.groups()));
  }

  /** apiGroup returns the `/apis/<group>` document (APIGroup), or undefined for an unknown or the core group. */
  apiGroup(group: string): ServedDocument | undefined {
    return this.#cached(`apis/${group}`, () => {
      if (group === '') return undefined;
      const entry = buildAPIGroupList(this.groups()).groups.find((g) => g.name === group);
      return entry === undefined ? undefined : { kind: 'APIGroup', apiVersion: 'v1', ...entry };
    });
  }

  /** apiResourceList returns the `/api/v1` or `/apis/<group>/<version>` document, or undefined when not served. */
  apiResourceList(group: string, version: string): ServedDocument | undefined {
    return this.#cached(`gv/${group}/${version}`, () => {
      const gv = this.#group(group)?.versions.find((v) => v.version === version);
      return gv === undefined ? undefined : buildAPIResourceList(group, gv, (g) => this.#group(g)?.preferredVersion);
    });
  }

  /** aggregated returns the aggregated discovery document (apidiscovery.k8s.io/v2) for `/api` or `/apis`. */
  aggregated(prefix: 'api' | 'apis'): ServedDocument {
    return this.#always(`aggregated/${prefix}`, () => buildAggregatedDiscovery(this.groups(), prefix));
  }

  #group(name: string): ResourceGroup | undefined {
    return this.groups().find((g) => g.name === name);
  }

  #cached(key: string, build: () => unknown): ServedDocument | undefined {
    if (!this.#cache.has(key)) {
      const value = build();
      this.#cache.set(key, value === undefined ? undefined : serializeDocument(value));
    }
    return this.#cache.get(key);
  }

  #always(key: string, build: () => unknown): ServedDocument {
    const doc = this.#cached(key, build);
    if (doc === undefined) throw new Error(`Cannot build discovery document "${key}": the builder returned nothing`);
    return doc;
  }
}
