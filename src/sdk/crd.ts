/**
 * installCRD: create or update a CustomResourceDefinition from a compact description (group, kind, plural,
 * versions with their OpenAPI v3 JSON schema, printer columns, subresources), then wait until the API serves the
 * resource. Idempotent: installing the same definition again updates it in place (no-op if unchanged).
 */
import type { KubeObject } from '../api/meta/types.js';
import { isAlreadyExists, isConflict, isNotFound } from '../client/api-error.js';
import type { Clock } from '../base/clock/clock.js';
import type { RestClient } from '../client/rest-client.js';
import { Kinds, pathOf, type Kind, type KindRegistry } from './kind.js';

/** PrinterColumn is an additionalPrinterColumns entry (`kubectl get` columns). */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  readonly priority?: number;
}

/** CrdVersion is one served version. */
export interface CrdVersion {
  readonly name: string;
  /** @default true for the first version */
  readonly storage?: boolean;
  /** @default true */
  readonly served?: boolean;
  /** The openAPIV3Schema of the whole object (type: object, properties: spec, status, …). */
  readonly schema: Record<string, unknown>;
  readonly printerColumns?: readonly PrinterColumn[];
  readonly subresources?: { readonly status?: boolean; readonly scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string } };
}

/** CrdSpec describes a custom resource. */
export interface CrdSpec {
  readonly group: string;
  readonly kind: string;
  /** Lower-case plural, e.g. "greetings". */
  readonly plural: string;
  /** @default kind lower-cased */
  readonly singular?: string;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  /** @default "Namespaced" */
  readonly scope?: 'Namespaced' | 'Cluster';
  readonly versions: readonly CrdVersion[];
}

/** CrdInstaller is what installCRD needs (a Manager has all of it). */
export interface CrdInstaller {
  readonly rest: RestClient;
  readonly clock: Clock;
  readonly kinds?: KindRegistry;
}

/** crdObject builds the apiextensions.k8s.io/v1 CustomResourceDefinition of `spec`. */
export function crdObject(spec: CrdSpec): KubeObject {
  if (spec.versions.length === 0) throw new Error(`Cannot build CRD ${spec.plural}.${spec.group}: no versions`);
  const storageGiven = spec.versions.some((v) => v.storage === true);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${spec.plural}.${spec.group}` },
    spec: {
      group: spec.group,
      scope: spec.scope ?? 'Namespaced',
      names: {
        kind: spec.kind,
        listKind: `${spec.kind}List`,
        plural: spec.plural,
        singular: spec.singular ?? spec.kind.toLowerCase(),
        ...(spec.shortNames ? { shortNames: [...spec.shortNames] } : {}),
        ...(spec.categories ? { categories: [...spec.categories] } : {}),
      },
      versions: spec.versions.map((v, i) => ({
        name: v.name,
        served: v.served ?? true,
        storage: storageGiven ? v.storage === true : i === 0,
        schema: { openAPIV3Schema: v.schema },
        ...(v.printerColumns ? { additionalPrinterColumns: v.printerColumns.map((c) => ({ ...c })) } : {}),
        ...(v.subresources
          ? { subresources: { ...(v.subresources.status ? { status: {} } : {}), ...(v.subresources.scale ? { scale: { ...v.subresources.scale } } : {}) } }
          : {}),
      })),
    },
  };
}

/**
 * installCRD creates or updates the CRD and resolves with the Kind of its storage version once that version can
 * be listed (and registers every served version's Kind with `installer.kinds`). Gives up after `timeoutMs`.
 */
export async function installCRD(installer: CrdInstaller, spec: CrdSpec, options: { timeoutMs?: number } = {}): Promise<Kind> {
  const crd = crdObject(spec);
  const path = pathOf(Kinds.CustomResourceDefinition, undefined, crd.metadata?.name);
  for (let attempt = 0; ; attempt++) {
    try {
      const current = await installer.rest.get(path);
      await installer.rest.update(path, { ...crd, metadata: { ...crd.metadata, resourceVersion: current.metadata?.resourceVersion } });
      break;
    } catch (err) {
      if (isNotFound(err)) {
        try {
          await installer.rest.create(pathOf(Kinds.CustomResourceDefinition), crd);
          break;
        } catch (createErr) {
          if (!isAlreadyExists(createErr)) throw createErr;
        }
      } else if (!isConflict(err)) {
        throw err;
      }
      // Someone else wrote it meanwhile: read again and retry.
      if (attempt >= 5) throw err;
    }
  }
  const namespaced = (spec.scope ?? 'Namespaced') === 'Namespaced';
  const kinds = spec.versions.map((v) => ({ group: spec.group, version: v.name, kind: spec.kind, resource: spec.plural, namespaced }));
  for (const k of kinds) installer.kinds?.register(k);
  const storageIndex = Math.max(0, spec.versions.findIndex((v) => v.storage === true));
  const kind = kinds[storageIndex] as Kind;
  const deadline = installer.clock.now() + (options.timeoutMs ?? 30_000);
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    try {
      await installer.rest.list(pathOf(kind), { limit: 1 });
      return kind;
    } catch (err) {
      if (!isNotFound(err) || installer.clock.now() >= deadline) {
        throw new Error(`Cannot install CRD ${spec.plural}.${spec.group}: the resource is not served (${err instanceof Error ? err.message : String(err)})`, { cause: err });
      }
    }
    await installer.clock.sleep(delay);
  }
}
