/**
 * RestMapper: which resource serves a kind (upstream's RESTMapper, fed from discovery). Owner references name their
 * owner by apiVersion and kind; the garbage collector needs the resource (and its scope) to read or address it.
 */
import type { ServerResource } from '../../client/server-resources.js';
import type { ResourceRef } from './object-graph.js';

/** RestMapper maps group/kind to the resource serving it. */
export class RestMapper {
  #byKind = new Map<string, ResourceRef>();

  /** reset replaces the mapping with what discovery found. */
  reset(resources: readonly ServerResource[]): void {
    const next = new Map<string, ResourceRef>();
    for (const r of resources) {
      if (!r.kind) continue;
      const key = `${r.group}/${r.kind}`;
      // The first listing of a kind wins (discovery lists the preferred version of each group).
      if (!next.has(key)) next.set(key, { group: r.group, version: r.version, resource: r.resource, namespaced: r.namespaced });
    }
    this.#byKind = next;
  }

  /** resourceFor maps an owner reference's apiVersion ("apps/v1", "v1") and kind to its resource. */
  resourceFor(apiVersion: string, kind: string): ResourceRef | undefined {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    // Address the owner at its group's preferred version, whatever version the reference names: every served
    // version reads the same object, and a reference may name a version the server no longer serves.
    return this.#byKind.get(`${group}/${kind}`);
  }
}
