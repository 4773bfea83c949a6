/**
 * ApiExtensionsHandler: the resource requests apiextensions answers itself before the ResourceDispatcher:
 * - DELETE of a CRD first adds the `customresourcecleanup.apiextensions.k8s.io` finalizer (as upstream's CRD
 *   registry does), so the CRD stays, Terminating, until the CRD controller has deleted its custom resources;
 * - the `scale` subresource of custom resources (GET, PUT, PATCH), whose replicas and selector live at the paths
 *   the CRD names (specReplicasPath, statusReplicasPath, labelSelectorPath). The write goes through the custom
 *   resource's store, so its schema validation and rules apply to the new replica count.
 * Everything else goes to `next`.
 */
import { badRequest, methodNotAllowed, notFound, StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import { applyPatch } from '../../api/patch/patch.js';
import type { SchemaLookup } from '../../api/schema/types.js';
import { writeJson } from '../negotiation/write.js';
import { dryRunOf } from '../handlers/query-options.js';
import type { RequestScope, ResourceHandler } from '../request/request-scope.js';
import { CRD_FINALIZER, type CrdScale } from './custom-resource-definition.js';
import type { CrdController, ServedCustomResource } from './crd-controller.js';
import { SimpleJsonPath } from './simple-json-path.js';
import { isRecord } from './structural-schema.js';

/** ApiExtensionsHandlerConfig constructs an ApiExtensionsHandler. */
export interface ApiExtensionsHandlerConfig {
  readonly next: ResourceHandler;
  readonly controller: CrdController;
  /** Schemas for patching Scale bodies (the built-in model). */
  readonly schemas: SchemaLookup;
}

function fieldsOf(path: string): string[] {
  const parsed = SimpleJsonPath.parse(path);
  return parsed instanceof SimpleJsonPath ? (parsed.fieldNames() ?? []) : [];
}

function getAt(obj: unknown, fields: readonly string[]): unknown {
  let v: unknown = obj;
  for (const f of fields) v = isRecord(v) ? v[f] : undefined;
  return v;
}

function setAt(obj: Record<string, unknown>, fields: readonly string[], value: unknown): void {
  let v: Record<string, unknown> = obj;
  fields.forEach((f, i) => {
    if (i === fields.length - 1) v[f] = value;
    else {
      if (!isRecord(v[f])) v[f] = {};
      v = v[f] as Record<string, unknown>;
    }
  });
}

/** scaleOfCustomResource renders the autoscaling/v1 Scale of a custom resource. */
export function scaleOfCustomResource(obj: KubeObject, scale: CrdScale): KubeObject {
  const md = obj.metadata ?? {};
  const specReplicas = getAt(obj, fieldsOf(scale.specReplicasPath));
  const statusReplicas = getAt(obj, fieldsOf(scale.statusReplicasPath));
  const selector = scale.labelSelectorPath ? getAt(obj, fieldsOf(scale.labelSelectorPath)) : undefined;
  const status: Record<string, unknown> = { replicas: typeof statusReplicas === 'number' ? statusReplicas : 0 };
  if (typeof selector === 'string' && selector !== '') status['selector'] = selector;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: md.name, namespace: md.namespace, uid: md.uid, resourceVersion: md.resourceVersion, creationTimestamp: md.creationTimestamp },
    spec: { replicas: typeof specReplicas === 'number' ? specReplicas : 0 },
    status,
  };
}

/** applyScaleToCustomResource writes a Scale's spec.replicas at specReplicasPath; its resourceVersion becomes a precondition. */
export function applyScaleToCustomResource(obj: KubeObject, scale: KubeObject, paths: CrdScale): KubeObject {
  const spec = isRecord(scale['spec']) ? scale['spec'] : {};
  const replicas = spec['replicas'] ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) throw badRequest('Cannot update scale: spec.replicas must be an integer');
  const out = structuredClone(obj);
  setAt(out as Record<string, unknown>, fieldsOf(paths.specReplicasPath), replicas);
  const rv = scale.metadata?.resourceVersion;
  out.metadata = { ...(out.metadata ?? {}) };
  if (rv) out.metadata.resourceVersion = rv;
  else delete out.metadata.resourceVersion;
  return out;
}

/**
 * warnDeprecated adds the Warning header of a deprecated CRD version: its deprecationWarning, else upstream's
 * default text naming the storage version to use instead.
 */
function warnDeprecated(scope: RequestScope, served: ServedCustomResource): void {
  const { info, version, crd } = served;
  const replacement = crd.versions.find((v) => v.storage && v.served && !v.deprecated);
  const text =
    version.deprecationWarning ??
    `${info.group}/${info.version} ${info.kind} is deprecated${replacement ? `; use ${info.group}/${replacement.name} ${info.kind}` : ''}`;
  const existing = scope.res.getHeader('Warning');
  const prior = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  scope.res.setHeader('Warning', [...prior, `299 - ${JSON.stringify(text)}`]);
}

/** ApiExtensionsHandler: see the file comment. */
export class ApiExtensionsHandler implements ResourceHandler {
  readonly #config: ApiExtensionsHandlerConfig;

  constructor(config: ApiExtensionsHandlerConfig) {
    this.#config = config;
  }

  async handle(scope: RequestScope): Promise<void> {
    const info = scope.info;
    if (info.isResourceRequest && info.apiGroup === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions' && info.verb === 'delete' && info.subresource === '') {
      await this.#addFinalizer(info.name, dryRunOf(scope.url));
    }
    const served = info.isResourceRequest ? this.#config.controller.servedResource(info.apiGroup, info.apiVersion, info.resource) : undefined;
    if (served?.version.deprecated) warnDeprecated(scope, served);
    if (served?.version.scale !== undefined && info.subresource === 'scale' && info.name !== '') {
      return this.#scale(scope, served.version.scale, served.info.namespaced);
    }
    return this.#config.next.handle(scope);
  }

  async #addFinalizer(name: string, dryRun: boolean): Promise<void> {
    const crds = this.#config.controller.crdStore;
    if (dryRun || name === '') return;
    try {
      await crds.guaranteedUpdate('', name, (current) => {
        const finalizers = current.metadata?.finalizers ?? [];
        if (current.metadata?.deletionTimestamp || finalizers.includes(CRD_FINALIZER)) return current;
        return { ...current, metadata: { ...current.metadata, finalizers: [...finalizers, CRD_FINALIZER] } };
      });
    } catch (err) {
      // A missing CRD is answered 404 by the delete itself.
      if (!(err instanceof StatusError && err.status.code === 404)) throw err;
    }
  }

  async #scale(scope: RequestScope, paths: CrdScale, namespaced: boolean): Promise<void> {
    const info = scope.info;
    const store = this.#config.controller.storeOf(info.apiGroup, info.apiVersion, info.resource);
    if (store === undefined) throw notFound({ group: info.apiGroup, resource: info.resource }, info.name);
    const namespace = namespaced ? info.namespace : '';
    const dryRun = dryRunOf(scope.url);
    switch (info.verb) {
      case 'get': {
        writeJson(scope.res, 200, scaleOfCustomResource(await store.get(namespace, info.name), paths));
        return;
      }
      case 'update':
      case 'patch': {
        const written = await store.guaranteedUpdate(
          namespace,
          info.name,
          (current) => {
            const view = scaleOfCustomResource(current, paths);
            let next: KubeObject;
            if (info.verb === 'update') {
              let body: unknown;
              try {
                body = JSON.parse(scope.body.toString('utf8'));
              } catch {
                throw badRequest('Cannot decode the request body: it is not JSON');
              }
              if (!isRecord(body)) throw badRequest('Cannot decode the request body: it is not a JSON object');
              next = body as KubeObject;
            } else {
              next = applyPatch(scope.req.headers['content-type'] ?? '', view, scope.body, {
                typeName: 'io.k8s.api.autoscaling.v1.Scale',
                lookup: this.#config.schemas,
                groupKind: { group: 'autoscaling', kind: 'Scale' },
              }) as KubeObject;
            }
            return applyScaleToCustomResource(current, next, paths);
          },
          { dryRun },
          info.verb === 'patch',
        );
        writeJson(scope.res, 200, scaleOfCustomResource(written, paths));
        return;
      }
      default:
        throw methodNotAllowed('the server does not allow this method on the requested resource');
    }
  }
}
