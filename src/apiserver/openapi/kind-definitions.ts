/**
 * Kind definitions: which schema definition describes a group/version/kind in a document, and making sure the
 * document holds it. Kinds the schema model knows are rendered from it; list kinds the model lacks are synthesized
 * from their item kind (upstream lists all share one shape); kinds without any schema (custom resources without a
 * validation schema) get an object that keeps unknown fields. Every kind definition carries
 * `x-kubernetes-group-version-kind`, which `kubectl explain` uses to find a kind's schema.
 */
import type { GroupVersionKind, SchemaLookup } from '../../api/schema/types.js';
import { SPECIAL_TYPE_NAMES, type ComponentSchemas, type JsonObject } from './component-schemas.js';
import { META_DEFINITIONS, type DefinitionResolver } from './resource-paths.js';

/**
 * fallbackDefinitionName names a kind the model does not know, the way upstream names definitions:
 * io.k8s.api.<group>.<version>.<Kind> for Kubernetes groups (core for the empty group) and the reversed group
 * for others (stable.example.com → com.example.stable.<version>.<Kind>).
 */
export function fallbackDefinitionName(gvk: GroupVersionKind): string {
  if (gvk.group === '') return `io.k8s.api.core.${gvk.version}.${gvk.kind}`;
  if (gvk.group === 'apiextensions.k8s.io') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${gvk.version}.${gvk.kind}`;
  if (gvk.group.endsWith('.k8s.io') || !gvk.group.includes('.')) {
    return `io.k8s.api.${gvk.group.split('.')[0] ?? gvk.group}.${gvk.version}.${gvk.kind}`;
  }
  return `${gvk.group.split('.').reverse().join('.')}.${gvk.version}.${gvk.kind}`;
}

/**
 * kindDefinitionResolver returns a resolver that names a kind's definition and adds it to `components`.
 * `customSchema` supplies the schema of kinds the model lacks (custom resources), used as given.
 */
export function kindDefinitionResolver(
  lookup: SchemaLookup,
  components: ComponentSchemas,
  customSchema: (gvk: GroupVersionKind) => JsonObject | undefined = () => undefined,
): DefinitionResolver {
  const resolve = (gvk: GroupVersionKind): string => {
    const known = lookup.kind(gvk)?.name;
    const listOf = gvk.kind.endsWith('List') && gvk.kind.length > 4 ? { ...gvk, kind: gvk.kind.slice(0, -4) } : undefined;
    const name = known ?? (listOf !== undefined ? `${resolve(listOf)}List` : fallbackDefinitionName(gvk));
    if (!components.has(name)) {
      if (known !== undefined || lookup.type(name) !== undefined) {
        components.add(name);
      } else if (listOf !== undefined) {
        components.add(META_DEFINITIONS.listMeta);
        components.define(name, {
          description: `A list of ${listOf.kind} objects.`,
          type: 'object',
          required: ['items'],
          properties: {
            apiVersion: { description: 'The versioned schema of this representation of an object.', type: 'string' },
            items: { description: `The ${listOf.kind} objects.`, type: 'array', items: components.referTo(name.slice(0, -4), { default: {} }) },
            kind: { description: 'The REST resource this object represents.', type: 'string' },
            metadata: components.referTo(META_DEFINITIONS.listMeta, { description: 'Standard list metadata.' }),
          },
        });
      } else {
        // A copy, because the GVK extension is added to it below and the caller's schema must stay untouched.
        const custom = customSchema(gvk);
        components.define(name, custom === undefined ? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } : withObjectMeta(components, custom));
      }
    }
    components.ensureGroupVersionKind(name, gvk);
    return name;
  };
  return resolve;
}

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/**
 * withObjectMeta copies a custom resource schema whose `metadata` property is present, making that property a
 * reference to ObjectMeta (added to the document), as upstream publishes CRD schemas; `kubectl explain` then
 * describes a custom resource's metadata like any other kind's.
 */
function withObjectMeta(components: ComponentSchemas, schema: JsonObject): JsonObject {
  const properties = schema['properties'];
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties) || !('metadata' in properties)) return { ...schema };
  components.add(OBJECT_META);
  const metadata = components.referTo(OBJECT_META, {
    description: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  });
  return { ...schema, properties: { ...(properties as JsonObject), metadata } };
}

/**
 * ensureDefinition adds a definition that operations refer to (Status, DeleteOptions, Patch, WatchEvent, …),
 * from the model when it has it and from a minimal stand-in otherwise.
 */
export function ensureDefinition(lookup: SchemaLookup, components: ComponentSchemas, name: string): void {
  if (components.has(name)) return;
  if (lookup.type(name) !== undefined) {
    components.add(name);
    return;
  }
  switch (name) {
    case META_DEFINITIONS.patch:
      components.define(name, { description: 'A patch; its format is given by the request content type.', type: 'object' });
      return;
    case META_DEFINITIONS.watchEvent: {
      components.add(SPECIAL_TYPE_NAMES.RawExtension);
      components.define(name, {
        description: 'One event of a watch stream.',
        type: 'object',
        required: ['type', 'object'],
        properties: {
          object: components.referTo(SPECIAL_TYPE_NAMES.RawExtension, { description: 'The object the event is about, or a Status for ERROR events.' }),
          type: { description: 'ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.', type: 'string' },
        },
      });
      return;
    }
    default:
      components.add(name);
  }
}
