/**
 * Response negotiation for resource handlers: which representation the client's Accept header asks for, and
 * the rendering of objects and lists in it.
 *  - JSON (default; also for protobuf-only clients, which accept JSON answers in practice),
 *  - YAML for `application/yaml`,
 *  - meta.k8s.io/v1 Table for `application/json;as=Table;v=v1;g=meta.k8s.io` (v1beta1 is answered as v1), with
 *    `includeObject=None|Metadata|Object` (default Metadata: each row carries a PartialObjectMetadata),
 *  - PartialObjectMetadata(List) for `as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1`.
 */
import { knownObjectJson, listJson } from '../negotiation/object-json.js';
import { stringify as stringifyYaml } from 'yaml';
import { badRequest } from '../../api/meta/status-error.js';
import type { KubeList, KubeObject, ListMeta } from '../../api/meta/types.js';
import { parseAccept } from '../negotiation/media-type.js';
import type { TableConvertor } from '../printers/table.js';

/** OutputKind names a representation. */
export type OutputKind = 'json' | 'yaml' | 'table' | 'partial';

/** IncludeObject is the Table `includeObject` option. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** ResponseFormat is the negotiated representation of a response. */
export interface ResponseFormat {
  readonly kind: OutputKind;
  readonly contentType: string;
  readonly includeObject: IncludeObject;
}

const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** negotiateResponse picks the first acceptable representation in the client's order of preference. */
export function negotiateResponse(accept: string | undefined, includeObject: string | null): ResponseFormat {
  let include: IncludeObject = 'Metadata';
  if (includeObject !== null && includeObject !== '') {
    if (includeObject !== 'None' && includeObject !== 'Metadata' && includeObject !== 'Object') {
      throw badRequest(`Cannot render the response: includeObject "${includeObject}" is not one of None, Metadata, Object`);
    }
    include = includeObject;
  }
  for (const range of parseAccept(accept)) {
    const json = range.essence === 'application/json' || range.essence === '*/*' || range.essence === 'application/*';
    const as = range.params['as'];
    if (as !== undefined) {
      const metaGroup = range.params['g'] === 'meta.k8s.io' && (range.params['v'] === 'v1' || range.params['v'] === 'v1beta1');
      if (range.essence !== 'application/json' || !metaGroup) continue;
      if (as === 'Table') return { kind: 'table', contentType: TABLE_CONTENT_TYPE, includeObject: include };
      if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') {
        return { kind: 'partial', contentType: `application/json;as=${as};v=v1;g=meta.k8s.io`, includeObject: include };
      }
      continue;
    }
    if (json) return { kind: 'json', contentType: 'application/json', includeObject: include };
    if (range.essence === 'application/yaml') return { kind: 'yaml', contentType: 'application/yaml', includeObject: include };
  }
  return { kind: 'json', contentType: 'application/json', includeObject: include };
}

/** partialObjectMetadata returns an object's metadata as meta.k8s.io/v1 PartialObjectMetadata. */
export function partialObjectMetadata(obj: KubeObject): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

/** TableOptions renders Tables. */
export interface TableOptions {
  readonly convertor: TableConvertor;
  readonly now: Date;
  readonly includeObject: IncludeObject;
  /** False to leave columnDefinitions empty (watch events after the first). @default true */
  readonly withColumns?: boolean;
}

/** tableOf renders objects as a meta.k8s.io/v1 Table. */
export function tableOf(objs: readonly KubeObject[], listMeta: ListMeta, options: TableOptions): KubeObject {
  const rows = objs.map((obj) => {
    const row: Record<string, unknown> = { cells: options.convertor.cells(obj, options.now) };
    if (options.includeObject === 'Metadata') row['object'] = partialObjectMetadata(obj);
    else if (options.includeObject === 'Object') row['object'] = obj;
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta as KubeObject['metadata'],
    columnDefinitions: options.withColumns === false ? [] : options.convertor.columns,
    rows,
  };
}

/** renderObject renders one object in the negotiated form; returns the body (string for YAML) to write. */
export function renderObject(obj: KubeObject, format: ResponseFormat, table: Omit<TableOptions, 'includeObject'>): unknown {
  switch (format.kind) {
    case 'table':
      return tableOf([obj], { resourceVersion: obj.metadata?.resourceVersion }, { ...table, includeObject: format.includeObject });
    case 'partial':
      return partialObjectMetadata(obj);
    case 'yaml':
      return stringifyYaml(obj);
    case 'json':
      // A just-written object answers with the bytes it was stored as (plus its resourceVersion), not re-encoded.
      return knownObjectJson(obj) ?? obj;
  }
}

/** renderList renders a list in the negotiated form. */
export function renderList(list: KubeList, format: ResponseFormat, table: Omit<TableOptions, 'includeObject'>): unknown {
  switch (format.kind) {
    case 'table':
      return tableOf(list.items, list.metadata, { ...table, includeObject: format.includeObject });
    case 'partial':
      return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: list.metadata, items: list.items.map(partialObjectMetadata) };
    case 'yaml':
      return stringifyYaml(list);
    case 'json':
      return listJson(list);
  }
}
