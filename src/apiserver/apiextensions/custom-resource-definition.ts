/**
 * Reading a CustomResourceDefinition (apiextensions.k8s.io/v1) object as stored (JSON) into the typed view the
 * CRD controller, strategies and validation use. Missing fields read as empty; nothing here validates.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { PrinterColumn } from './printer-columns.js';
import { isRecord, type StructuralSchema } from './structural-schema.js';

/** CRD_FINALIZER holds a CRD being deleted until its custom resources are gone (upstream's name). */
export const CRD_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

/** CrdNames is spec.names (or status.acceptedNames). */
export interface CrdNames {
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly listKind: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
}

/** CrdScale is a version's scale subresource. */
export interface CrdScale {
  readonly specReplicasPath: string;
  readonly statusReplicasPath: string;
  readonly labelSelectorPath?: string;
}

/** CrdVersion is one entry of spec.versions. */
export interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
  readonly storage: boolean;
  readonly schema: StructuralSchema | undefined;
  readonly statusSubresource: boolean;
  readonly scale: CrdScale | undefined;
  readonly printerColumns: readonly PrinterColumn[];
  /** selectableFields' JSONPaths (e.g. ".spec.color"), usable in field selectors. */
  readonly selectableFields: readonly string[];
  readonly deprecated: boolean;
  readonly deprecationWarning?: string;
}

/** CrdCondition is one status condition. */
export interface CrdCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
}

/** CustomResourceDefinitionView is the typed view of a CRD object. */
export interface CustomResourceDefinitionView {
  readonly name: string;
  readonly group: string;
  readonly namespaced: boolean;
  readonly scope: string;
  readonly names: CrdNames;
  readonly versions: readonly CrdVersion[];
  readonly conversionStrategy: string;
  readonly acceptedNames: CrdNames | undefined;
  readonly conditions: readonly CrdCondition[];
  readonly storedVersions: readonly string[];
  readonly deleting: boolean;
  readonly finalizers: readonly string[];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function records(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

/** readNames reads a CustomResourceDefinitionNames object, defaulting singular and listKind as upstream does. */
export function readNames(v: unknown): CrdNames {
  const n = isRecord(v) ? v : {};
  const kind = str(n['kind']);
  return {
    plural: str(n['plural']),
    singular: str(n['singular']) || kind.toLowerCase(),
    kind,
    listKind: str(n['listKind']) || (kind === '' ? '' : `${kind}List`),
    shortNames: strings(n['shortNames']),
    categories: strings(n['categories']),
  };
}

function readVersion(v: Record<string, unknown>): CrdVersion {
  const schema = isRecord(v['schema']) ? v['schema']['openAPIV3Schema'] : undefined;
  const sub = isRecord(v['subresources']) ? v['subresources'] : {};
  const scale = isRecord(sub['scale']) ? sub['scale'] : undefined;
  return {
    name: str(v['name']),
    served: v['served'] === true,
    storage: v['storage'] === true,
    schema: isRecord(schema) ? (schema as StructuralSchema) : undefined,
    statusSubresource: isRecord(sub['status']),
    scale: scale
      ? {
          specReplicasPath: str(scale['specReplicasPath']),
          statusReplicasPath: str(scale['statusReplicasPath']),
          labelSelectorPath: typeof scale['labelSelectorPath'] === 'string' ? scale['labelSelectorPath'] : undefined,
        }
      : undefined,
    printerColumns: records(v['additionalPrinterColumns']).map((c) => ({
      name: str(c['name']),
      type: str(c['type']),
      format: typeof c['format'] === 'string' ? c['format'] : undefined,
      description: typeof c['description'] === 'string' ? c['description'] : undefined,
      priority: typeof c['priority'] === 'number' ? c['priority'] : undefined,
      jsonPath: str(c['jsonPath']),
    })),
    selectableFields: records(v['selectableFields']).map((f) => str(f['jsonPath'])).filter((p) => p !== ''),
    deprecated: v['deprecated'] === true,
    deprecationWarning: typeof v['deprecationWarning'] === 'string' ? v['deprecationWarning'] : undefined,
  };
}

/** readCrd reads a CRD object. */
export function readCrd(crd: KubeObject): CustomResourceDefinitionView {
  const spec = isRecord(crd['spec']) ? crd['spec'] : {};
  const status = isRecord(crd['status']) ? crd['status'] : {};
  const conversion = isRecord(spec['conversion']) ? spec['conversion'] : {};
  return {
    name: crd.metadata?.name ?? '',
    group: str(spec['group']),
    scope: str(spec['scope']),
    namespaced: spec['scope'] !== 'Cluster',
    names: readNames(spec['names']),
    versions: records(spec['versions']).map(readVersion),
    conversionStrategy: str(conversion['strategy']) || 'None',
    acceptedNames: isRecord(status['acceptedNames']) && str(status['acceptedNames']['plural']) !== '' ? readNames(status['acceptedNames']) : undefined,
    conditions: records(status['conditions']).map((c) => ({
      type: str(c['type']),
      status: (['True', 'False'].includes(str(c['status'])) ? str(c['status']) : 'Unknown') as CrdCondition['status'],
      reason: typeof c['reason'] === 'string' ? c['reason'] : undefined,
      message: typeof c['message'] === 'string' ? c['message'] : undefined,
      lastTransitionTime: typeof c['lastTransitionTime'] === 'string' ? c['lastTransitionTime'] : undefined,
    })),
    storedVersions: strings(status['storedVersions']),
    deleting: Boolean(crd.metadata?.deletionTimestamp),
    finalizers: crd.metadata?.finalizers ?? [],
  };
}
