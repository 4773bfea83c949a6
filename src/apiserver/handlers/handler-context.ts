/**
 * HandlerContext: what every verb handler (get.ts, list.ts, …) receives from the ResourceDispatcher: the request,
 * the resource's store, and the server-wide hooks (body decoding, field validation, schemas).
 */
import type { ApplySchema } from '../../api/apply/apply-schema.js';
import { applySchemaOf, fieldManagerOf, managedFieldsRecorder } from '../../api/apply/field-manager.js';
import type { WriteKind } from '../../api/apply/field-manager.js';
import type { KubeObject } from '../../api/meta/types.js';
import { groupVersionOf } from '../../api/scheme.js';
import type { ResourceInfo, SubresourceInfo } from '../../api/scheme.js';
import type { GroupVersionKind, SchemaLookup } from '../../api/schema/types.js';
import type { Clock } from '../../base/clock/clock.js';
import type { TableConvertor } from '../printers/table.js';
import type { GenericStore, ManagedFieldsRecorder } from '../registry/generic-store.js';
import type { RequestScope } from '../request/request-scope.js';

/**
 * UnknownFieldFinder returns the unknown fields of a decoded object of kind `gvk`, pruning them from it in place.
 * One that `checksJsonTypes` also answers 400 (throws) for a value of the wrong JSON type, before anything else, as
 * checkJsonTypes would; the handlers then skip their own check.
 */
export interface UnknownFieldFinder {
  (obj: unknown, gvk: GroupVersionKind): string[];
  readonly checksJsonTypes?: boolean;
}

/** ResourceEntry is one served resource at one version. */
export interface ResourceEntry {
  readonly info: ResourceInfo;
  readonly store: GenericStore;
  readonly table: TableConvertor;
  /** DELETE answers with the deleted object (pods, services, namespaces) rather than a Status. */
  readonly returnsDeletedObject: boolean;
  /**
   * The server-side apply schema of a kind the built-in schemas do not describe (custom resources: see
   * structuralApplySchema in api/apply). @default the built-in schema of the kind, else untyped (maps merge, lists
   * replace)
   */
  readonly applySchema?: ApplySchema;
}

/** WatchSettings tune watch streams. */
export interface WatchSettings {
  /** Lower bound of the default watch timeout (seconds); the default is uniform in [min, 2×min). @default 1800 */
  readonly minRequestTimeoutSeconds: number;
  readonly random: () => number;
}

/** HandlerContext is one resource request routed to a verb handler. */
export interface HandlerContext {
  readonly scope: RequestScope;
  readonly entry: ResourceEntry;
  /** The subresource addressed, if any. */
  readonly subresource: SubresourceInfo | undefined;
  readonly namespace: string;
  readonly name: string;
  readonly clock: Clock;
  /** Decodes the request body to a JSON value (Content-Type aware); `strict` rejects duplicate fields. */
  readonly decode: (strict: boolean) => unknown;
  readonly unknownFields: UnknownFieldFinder | undefined;
  readonly schemas: SchemaLookup | undefined;
  readonly watch: WatchSettings;
  /** The entry of another resource (e.g. pods for pods/binding), by group and resource. */
  readonly lookup: (group: string, resource: string) => ResourceEntry | undefined;
}

/** applySchemaFor is the server-side apply schema of the resource `ctx` addresses. */
export function applySchemaFor(ctx: HandlerContext): ApplySchema {
  const info = ctx.entry.info;
  const gvk = { group: info.group, version: info.version, kind: info.kind };
  return ctx.entry.applySchema ?? applySchemaOf(ctx.schemas, gvk);
}

/** fieldManagerFor reads the request's field manager (and `force`); throws 422 on options upstream refuses. */
export function fieldManagerFor(ctx: HandlerContext, kind: WriteKind, isApply: boolean): { manager: string; force: boolean } {
  const query = ctx.scope.url.searchParams;
  return fieldManagerOf({ fieldManager: query.get('fieldManager'), force: query.get('force'), userAgent: ctx.scope.req.headers['user-agent'] }, kind, isApply);
}

/** managedFieldsRecorderOf is the store hook recording this request's (non-apply) write in managedFields. */
export function managedFieldsRecorderOf(ctx: HandlerContext, kind: WriteKind): ManagedFieldsRecorder {
  const info = ctx.entry.info;
  return managedFieldsRecorder({
    manager: fieldManagerFor(ctx, kind, false).manager,
    apiVersion: groupVersionOf(info.group, info.version),
    schema: applySchemaFor(ctx),
    subresource: ctx.subresource?.name ?? '',
    now: () => ctx.clock.now(),
  });
}

/** bodyObject narrows a decoded body to an object or answers 400. */
export function isObjectBody(value: unknown): value is KubeObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
