/**
 * newResourceStrategy assembles a ResourceStrategy from a kind's parts (defaulting, validation, selectable
 * fields, table) and applies the rules every kind shares:
 *  - defaulting runs on create and on every update, as upstream defaults each decoded request body;
 *  - with a status subresource, create resets `status` (to `initialStatus`), a main-resource update keeps the
 *    stored status, and a `status` update keeps every other top-level field of the stored object;
 *  - metadata is validated for create and update before the kind's own rules; on update an omitted uid and any
 *    creationTimestamp are taken from the stored object.
 */
import type { KubeObject } from '../../../api/meta/types.js';
import type { FieldError } from '../../../api/validation/field-error.js';
import type { NameValidator } from '../../../api/validation/names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../../api/validation/object-meta.js';
import type { TableConvertor } from '../../printers/table.js';
import type { ResourceStrategy, StrategyContext } from '../strategy.js';

/** StrategyConfig lists a kind's parts; every member but `namespaced` is optional. */
export interface StrategyConfig {
  /** Whether objects live in a namespace. */
  readonly namespaced: boolean;
  /** The metadata.name rule. @default nameIsDNSSubdomain */
  readonly name?: NameValidator;
  /** Whether the resource has a `status` subresource (see scheme.ts). @default false */
  readonly statusSubresource?: boolean;
  /** Subresources that write status and keep everything else (e.g. CSR `approval`). @default ['status'] */
  readonly statusWriters?: readonly string[];
  /** The status a new object starts with when it has a status subresource; undefined keeps the client's status. @default () => ({}) */
  readonly initialStatus?: ((obj: KubeObject) => unknown) | null;
  /** Fills defaults in place. */
  readonly defaults?: (obj: KubeObject) => void;
  /** Kind-specific create preparation, after defaults and the status reset. */
  readonly prepareForCreate?: (obj: KubeObject, ctx: StrategyContext) => void;
  /** Kind-specific update preparation, after the status rule and defaults. */
  readonly prepareForUpdate?: (obj: KubeObject, old: KubeObject, ctx: StrategyContext) => void;
  /** Kind-specific validation of an object (metadata is already covered). Also run on the new object of an update. */
  readonly validate?: (obj: KubeObject) => FieldError[];
  /** Kind-specific update rules (immutable fields). */
  readonly validateUpdate?: (obj: KubeObject, old: KubeObject) => FieldError[];
  /** Field-selector values beyond metadata.name/namespace. */
  readonly selectableFields?: (obj: KubeObject) => Record<string, string>;
  /** The kubectl table. */
  readonly table?: TableConvertor;
  /** Generation tracking override. */
  readonly tracksGeneration?: boolean;
}

const TYPE_AND_META = new Set(['apiVersion', 'kind', 'metadata', 'status']);

/** keepAllButStatus makes `obj` carry `old`'s top-level fields except metadata, type meta and status. */
export function keepAllButStatus(obj: KubeObject, old: KubeObject): void {
  for (const key of Object.keys(obj)) if (!TYPE_AND_META.has(key) && !(key in old)) delete obj[key];
  for (const key of Object.keys(old)) if (!TYPE_AND_META.has(key)) obj[key] = structuredClone(old[key]);
}

/** newResourceStrategy builds the strategy. */
export function newResourceStrategy(config: StrategyConfig): ResourceStrategy {
  const statusWriters = config.statusWriters ?? ['status'];
  const initial = config.initialStatus === undefined ? (): unknown => ({}) : config.initialStatus;
  const strategy: ResourceStrategy = {
    prepareForCreate(obj, ctx) {
      config.defaults?.(obj);
      if (config.statusSubresource && initial) obj['status'] = initial(obj);
      config.prepareForCreate?.(obj, ctx);
    },
    prepareForUpdate(obj, old, ctx) {
      // As upstream's BeforeUpdate: an omitted uid means "the existing one", and creationTimestamp never changes.
      const meta = (obj.metadata ??= {});
      if (!meta.uid && old.metadata?.uid) meta.uid = old.metadata.uid;
      if (old.metadata?.creationTimestamp) meta.creationTimestamp = old.metadata.creationTimestamp;
      if (config.statusSubresource) {
        if (statusWriters.includes(ctx.subresource)) keepAllButStatus(obj, old);
        else if (old['status'] === undefined) delete obj['status'];
        else obj['status'] = structuredClone(old['status']);
      }
      config.defaults?.(obj);
      config.prepareForUpdate?.(obj, old, ctx);
    },
    validate(obj) {
      return [...validateObjectMeta(obj.metadata, { namespaced: config.namespaced, name: config.name }), ...(config.validate?.(obj) ?? [])];
    },
    validateUpdate(obj, old) {
      return [
        ...validateObjectMetaUpdate(obj.metadata, old.metadata, { namespaced: config.namespaced, name: config.name }),
        ...(config.validate?.(obj) ?? []),
        ...(config.validateUpdate?.(obj, old) ?? []),
      ];
    },
  };
  if (config.selectableFields) strategy.selectableFields = config.selectableFields;
  if (config.table) strategy.table = config.table;
  if (config.tracksGeneration !== undefined) strategy.tracksGeneration = config.tracksGeneration;
  return strategy;
}
