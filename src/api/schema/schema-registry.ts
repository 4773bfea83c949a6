/**
 * SchemaRegistry serves the generated schema data (`src/api/schema/data/*.json`, made by `hack/gen-api-schema.ts`).
 *
 * Contract: each data file holds the types of one package (e.g. `io.k8s.api.core.v1`) and is read the first time
 * a type of that package is asked for, so start-up pays only for the small index. Returned objects are shared and
 * must be treated as read-only.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GroupVersionKind, SchemaLookup, TypeSchema } from './types.js';

const DATA_DIR = fileURLToPath(new URL('./data/', import.meta.url));

/** SchemaIndex is the content of `data/index.json`. */
interface SchemaIndex {
  /** Package prefix (e.g. "io.k8s.api.core.v1") → data file name. */
  readonly packages: Readonly<Record<string, string>>;
  /** "group/version/kind" → type name. */
  readonly kinds: Readonly<Record<string, string>>;
}

interface PackageFile {
  readonly package: string;
  readonly types: readonly TypeSchema[];
}

/** SchemaRegistryConfig configures a SchemaRegistry. */
export interface SchemaRegistryConfig {
  /**
   * Directory holding `index.json` and the package files.
   * @default the `data/` directory beside this module
   */
  readonly dataDir?: string;
}

function kindKey(gvk: GroupVersionKind): string {
  return `${gvk.group}/${gvk.version}/${gvk.kind}`;
}

function packageOf(typeName: string): string {
  const dot = typeName.lastIndexOf('.');
  return dot < 0 ? '' : typeName.slice(0, dot);
}

/** SchemaRegistry is the SchemaLookup over the built-in API types, loading one package file at a time. */
export class SchemaRegistry implements SchemaLookup {
  readonly #dataDir: string;
  #index: SchemaIndex | undefined;
  readonly #loaded = new Map<string, ReadonlyMap<string, TypeSchema>>();
  /** Types already looked up, by full name: validation and field checks ask for the same few types on every write. */
  readonly #types = new Map<string, TypeSchema>();

  constructor(config: SchemaRegistryConfig = {}) {
    this.#dataDir = config.dataDir ?? DATA_DIR;
  }

  /** type returns the type by its full definition name, or undefined when no package defines it. */
  type(name: string): TypeSchema | undefined {
    const known = this.#types.get(name);
    if (known !== undefined) return known;
    const type = this.#package(packageOf(name))?.get(name);
    if (type !== undefined) this.#types.set(name, type);
    return type;
  }

  /** kind returns the top-level type of a built-in group/version/kind, or undefined (e.g. custom resources). */
  kind(gvk: GroupVersionKind): TypeSchema | undefined {
    const name = this.#readIndex().kinds[kindKey(gvk)];
    return name === undefined ? undefined : this.type(name);
  }

  /** kindsIn returns the kinds with a schema in one group/version, sorted by name. */
  kindsIn(group: string, version: string): string[] {
    const prefix = `${group}/${version}/`;
    return Object.keys(this.#readIndex().kinds)
      .filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/'))
      .map((k) => k.slice(prefix.length))
      .sort();
  }

  /** allTypes yields every type of every package (this loads all data files). */
  *allTypes(): IterableIterator<TypeSchema> {
    for (const pkg of Object.keys(this.#readIndex().packages)) {
      const types = this.#package(pkg);
      if (types !== undefined) yield* types.values();
    }
  }

  #readIndex(): SchemaIndex {
    this.#index ??= JSON.parse(readFileSync(`${this.#dataDir}/index.json`, 'utf8')) as SchemaIndex;
    return this.#index;
  }

  #package(pkg: string): ReadonlyMap<string, TypeSchema> | undefined {
    const cached = this.#loaded.get(pkg);
    if (cached !== undefined) return cached;
    const file = this.#readIndex().packages[pkg];
    if (file === undefined) return undefined;
    let parsed: PackageFile;
    try {
      parsed = JSON.parse(readFileSync(`${this.#dataDir}/${file}`, 'utf8')) as PackageFile;
    } catch (err) {
      throw new Error(`Cannot load schema package "${pkg}": ${err instanceof Error ? err.message : String(err)}`);
    }
    const types = new Map(parsed.types.map((t) => [t.name, t] as const));
    this.#loaded.set(pkg, types);
    return types;
  }
}

let builtin: SchemaRegistry | undefined;

/** builtinSchemas returns the shared registry of built-in types (created on first call, then cached). */
export function builtinSchemas(): SchemaRegistry {
  builtin ??= new SchemaRegistry();
  return builtin;
}
