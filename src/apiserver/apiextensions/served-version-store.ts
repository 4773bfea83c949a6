/**
 * ServedVersionStore: the store of one served version of a CRD with several versions. As upstream, objects are
 * stored in the CRD's storage version: a write to another version is converted to the storage version before it
 * is defaulted, validated (with the storage version's schema) and stored, and every object returned is converted to
 * the served version. Conversion strategy `None` changes only apiVersion (upstream's rule); `Webhook` asks the
 * CRD's conversion webhook. Objects stored under an older storage version are converted on the way out too.
 * Objects from the watch cache are shared and immutable, so they are copied, never changed.
 * Watch events are converted too: the watch handler asks `watchConverter` for each event's object.
 */
import type { KubeList, KubeObject } from '../../api/meta/types.js';
import { groupVersionOf } from '../../api/scheme.js';
import { GenericStore } from '../registry/generic-store.js';
import type { DeleteOptions, DeleteResult, GenericStoreConfig, ListParams, UpdateFn, WriteOptions } from '../registry/generic-store.js';
import type { ResourceStrategy } from '../registry/strategy.js';

/** Converter converts objects to `apiVersion` (a conversion webhook); objects already there may be returned as is. */
export type Converter = (objects: readonly KubeObject[], apiVersion: string) => Promise<KubeObject[]>;

/** ServedVersionOptions say how a served version relates to storage. */
export interface ServedVersionOptions {
  readonly storageVersion: string;
  /** The storage version's strategy (defaulting and validation run on the stored form). */
  readonly storageStrategy: ResourceStrategy;
  /** The conversion webhook; absent: conversion strategy None (apiVersion rewrite). */
  readonly converter?: Converter;
}

/** ServedVersionStore converts between its served version and the storage version; see the file comment. */
export class ServedVersionStore extends GenericStore {
  readonly #served: string;
  readonly #stored: string;
  readonly #converter: Converter | undefined;

  /** `config.resource` is the served version; the store itself works on the storage version. */
  constructor(config: GenericStoreConfig, options: ServedVersionOptions) {
    super({ ...config, resource: { ...config.resource, version: options.storageVersion }, strategy: options.storageStrategy });
    this.#served = groupVersionOf(config.resource.group, config.resource.version);
    this.#stored = groupVersionOf(config.resource.group, options.storageVersion);
    this.#converter = options.converter;
  }

  /** The apiVersion objects are served as. */
  get servedApiVersion(): string {
    return this.#served;
  }

  async #to(objects: readonly KubeObject[], apiVersion: string): Promise<KubeObject[]> {
    const foreign = objects.some((o) => o.kind === this.info.kind && o.apiVersion !== apiVersion);
    if (!foreign) return [...objects];
    if (this.#converter) return this.#converter(objects, apiVersion);
    return objects.map((o) => (o.kind !== this.info.kind || o.apiVersion === apiVersion ? o : { ...o, apiVersion }));
  }

  async #one(obj: KubeObject, apiVersion: string): Promise<KubeObject> {
    return (await this.#to([obj], apiVersion))[0] ?? obj;
  }

  /** #incoming converts a client's body (of the served version, or without apiVersion) to the storage version. */
  async #incoming(body: KubeObject): Promise<KubeObject> {
    if (body.apiVersion === undefined || body.apiVersion === '') body.apiVersion = this.#served;
    if (body.kind === undefined || body.kind === '') body.kind = this.info.kind;
    return body.apiVersion === this.#served ? this.#one(body, this.#stored) : body;
  }

  override get watchConverter(): (obj: KubeObject) => Promise<KubeObject> {
    return (obj) => this.#one(obj, this.#served);
  }

  /** listStored lists objects as stored, unconverted (CRD finalization deletes them without a webhook round trip). */
  async listStored(namespace: string): Promise<KubeList> {
    return super.list(namespace);
  }

  /** deleteStored deletes an object and returns it as stored, unconverted. */
  async deleteStored(namespace: string, name: string): Promise<DeleteResult> {
    return super.delete(namespace, name);
  }

  override async get(namespace: string, name: string, subresource = ''): Promise<KubeObject> {
    return this.#one(await super.get(namespace, name, subresource), this.#served);
  }

  override async list(namespace: string, params: ListParams = {}): Promise<KubeList> {
    const list = await super.list(namespace, params);
    return { ...list, apiVersion: this.#served, items: await this.#to(list.items, this.#served) };
  }

  override async create(namespace: string, body: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    return this.#one(await super.create(namespace, await this.#incoming(body), options), this.#served);
  }

  override async guaranteedUpdate(namespace: string, name: string, fn: UpdateFn, options: WriteOptions = {}, retryOnConflict = true): Promise<KubeObject> {
    // The scale subresource works on a Scale view, which needs no conversion.
    const converting: UpdateFn =
      options.subresource === 'scale' ? fn : async (current) => this.#incoming(await fn(await this.#one(current, this.#served)));
    return this.#one(await super.guaranteedUpdate(namespace, name, converting, options, retryOnConflict), this.#served);
  }

  override async delete(namespace: string, name: string, options: DeleteOptions = {}, writeOptions: WriteOptions = {}): Promise<DeleteResult> {
    const res = await super.delete(namespace, name, options, writeOptions);
    return { ...res, object: await this.#one(res.object, this.#served) };
  }

  override async deleteCollection(namespace: string, params: ListParams, options: DeleteOptions = {}, writeOptions: WriteOptions = {}): Promise<KubeList> {
    const list = await super.deleteCollection(namespace, params, options, writeOptions);
    return { ...list, apiVersion: this.#served, items: await this.#to(list.items, this.#served) };
  }
}
