/** MemoryObjectReader: an ObjectReader over a plain array of objects, for tests and embedders without stores. */
import type { KubeObject } from '../../api/meta/types.js';
import type { ObjectReader } from './object-reader.js';

/** MemoryObject is an object and where it lives. */
export interface MemoryObject {
  readonly group: string;
  readonly resource: string;
  readonly object: KubeObject;
}

/** MemoryObjectReader keeps objects in memory; status writes change them in place. */
export class MemoryObjectReader implements ObjectReader {
  readonly objects: MemoryObject[];

  constructor(objects: MemoryObject[] = []) {
    this.objects = objects;
  }

  /** add stores another object. */
  add(group: string, resource: string, object: KubeObject): this {
    this.objects.push({ group, resource, object });
    return this;
  }

  #find(group: string, resource: string, namespace: string, name: string): MemoryObject | undefined {
    return this.objects.find(
      (o) => o.group === group && o.resource === resource && (o.object.metadata?.namespace ?? '') === namespace && o.object.metadata?.name === name,
    );
  }

  async get(group: string, resource: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    return this.#find(group, resource, namespace, name)?.object;
  }

  async list(group: string, resource: string, namespace: string): Promise<readonly KubeObject[]> {
    return this.objects
      .filter((o) => o.group === group && o.resource === resource && (namespace === '' || o.object.metadata?.namespace === namespace))
      .map((o) => o.object);
  }

  async updateStatus(group: string, resource: string, namespace: string, name: string, fn: (obj: KubeObject) => KubeObject): Promise<boolean> {
    const found = this.#find(group, resource, namespace, name);
    if (!found) return false;
    found.object['status'] = fn(structuredClone(found.object))['status'];
    return true;
  }
}
