/**
 * gen-api-schema generates `src/api/schema/data/*.json`, the schema model of every built-in API type
 * (see src/api/schema/types.ts), from the field facts of the upstream API definitions: message and field names,
 * field numbers, types, and the `+marker` lines. No upstream prose is copied; descriptions are our own.
 *
 * Inputs are read from the read-only mirrors with `git show HEAD:<path>`:
 *  - `generated.proto` of each package: messages, fields, numbers, types, markers;
 *  - the package's Go sources: the JSON name of each field (its `json:"…"` tag, which differs from the proto name
 *    for a few fields such as `$ref` or inlined structs), whether the Go field is a pointer (so a zero value on the
 *    wire is meaningful), and whether the struct embeds TypeMeta (so its JSON carries apiVersion/kind).
 *
 * Run: `node --import tsx hack/gen-api-schema.ts`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_RESOURCES } from '../src/api/scheme.js';
import type { FieldSchema, FieldType, GroupVersionKind, ScalarType, SpecialType, TypeSchema } from '../src/api/schema/types.js';

const MIRRORS = '/work/.mirror';
const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'api', 'schema', 'data');

/** One input package: where its proto lives, its API group (for kinds), and the data file it goes to. */
interface PackageSource {
  readonly mirror: string;
  readonly dir: string;
  readonly file: string;
  readonly group?: string;
  readonly version?: string;
}

const API_GROUPS: ReadonlyArray<readonly [dir: string, group: string]> = [
  ['core/v1', ''],
  ['apps/v1', 'apps'],
  ['batch/v1', 'batch'],
  ['autoscaling/v1', 'autoscaling'],
  ['autoscaling/v2', 'autoscaling'],
  ['coordination/v1', 'coordination.k8s.io'],
  ['discovery/v1', 'discovery.k8s.io'],
  ['events/v1', 'events.k8s.io'],
  ['networking/v1', 'networking.k8s.io'],
  ['policy/v1', 'policy'],
  ['rbac/v1', 'rbac.authorization.k8s.io'],
  ['storage/v1', 'storage.k8s.io'],
  ['scheduling/v1', 'scheduling.k8s.io'],
  ['authentication/v1', 'authentication.k8s.io'],
  ['authorization/v1', 'authorization.k8s.io'],
  ['certificates/v1', 'certificates.k8s.io'],
  ['admissionregistration/v1', 'admissionregistration.k8s.io'],
  ['flowcontrol/v1', 'flowcontrol.apiserver.k8s.io'],
];

const SOURCES: readonly PackageSource[] = [
  ...API_GROUPS.map(([dir, group]): PackageSource => {
    const version = dir.slice(dir.indexOf('/') + 1);
    return { mirror: 'kubernetes+api', dir, file: `${dir.replace('/', '-')}.json`, group, version };
  }),
  { mirror: 'kubernetes+apimachinery', dir: 'pkg/apis/meta/v1', file: 'meta-v1.json', group: 'meta.k8s.io', version: 'v1' },
  { mirror: 'kubernetes+apimachinery', dir: 'pkg/api/resource', file: 'resource.json' },
  { mirror: 'kubernetes+apimachinery', dir: 'pkg/util/intstr', file: 'intstr.json' },
  { mirror: 'kubernetes+apimachinery', dir: 'pkg/runtime', file: 'runtime.json' },
  { mirror: 'kubernetes+apimachinery', dir: 'pkg/runtime/schema', file: 'runtime-schema.json' },
  {
    mirror: 'kubernetes+apiextensions-apiserver',
    dir: 'pkg/apis/apiextensions/v1',
    file: 'apiextensions-v1.json',
    group: 'apiextensions.k8s.io',
    version: 'v1',
  },
];

/** Types whose JSON form is not their protobuf message (see SpecialType). */
const SPECIAL_TYPES: Readonly<Record<string, SpecialType>> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': 'Time',
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': 'MicroTime',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Duration': 'Duration',
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1': 'FieldsV1',
  'io.k8s.apimachinery.pkg.api.resource.Quantity': 'Quantity',
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': 'IntOrString',
  'io.k8s.apimachinery.pkg.runtime.RawExtension': 'RawExtension',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON': 'JSON',
};

/** Kinds outside scheme.ts that still are top-level objects on the wire, per group/version. */
const EXTRA_KINDS: Readonly<Record<string, readonly string[]>> = {
  v1: ['Binding', 'PodAttachOptions', 'PodExecOptions', 'PodPortForwardOptions', 'PodProxyOptions', 'PodLogOptions', 'PodStatusResult', 'RangeAllocation', 'SerializedReference', 'NodeProxyOptions', 'ServiceProxyOptions'],
  'autoscaling/v1': ['Scale'],
  'policy/v1': ['Eviction'],
  'authentication.k8s.io/v1': ['TokenRequest', 'TokenReview', 'SelfSubjectReview'],
  'admissionregistration.k8s.io/v1': ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'],
  'flowcontrol.apiserver.k8s.io/v1': ['FlowSchema', 'PriorityLevelConfiguration'],
  'meta.k8s.io/v1': ['Status', 'APIGroup', 'APIGroupList', 'APIResourceList', 'APIVersions', 'Table', 'PartialObjectMetadata', 'PartialObjectMetadataList'],
};

/** Kinds of meta/v1 that every group/version accepts (option bodies and watch events). */
const SHARED_META_KINDS: readonly string[] = ['DeleteOptions', 'WatchEvent'];

interface ProtoField {
  readonly label: 'optional' | 'repeated' | 'map';
  readonly protoType: string;
  readonly protoName: string;
  readonly number: number;
  readonly markers: readonly string[];
}

interface ProtoMessage {
  readonly name: string;
  readonly markers: readonly string[];
  readonly fields: ProtoField[];
}

/** Facts about one Go struct field, keyed by its proto name. */
interface GoField {
  readonly jsonName: string;
  readonly pointer: boolean;
  readonly omitEmpty: boolean;
}

interface GoStruct {
  readonly fields: Map<string, GoField>;
  typeMeta: boolean;
}

function gitShow(mirror: string, path: string): string {
  return execFileSync('git', ['-C', join(MIRRORS, mirror, 'repo'), 'show', `HEAD:${path}`], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
}

function gitList(mirror: string, dir: string): string[] {
  const out = execFileSync('git', ['-C', join(MIRRORS, mirror, 'repo'), 'ls-tree', '--name-only', `HEAD:${dir}`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l !== '');
}

/** definitionName maps a proto package to its OpenAPI definition prefix (k8s.io.api.core.v1 → io.k8s.api.core.v1). */
function definitionName(protoPackage: string, message: string): string {
  const pkg = protoPackage.replace(/^k8s\.io\./, 'io.k8s.').replace(/_/g, '-');
  return `${pkg}.${message}`;
}

/** parseProto extracts the package and messages (fields, numbers, markers) from a generated.proto text. */
function parseProto(text: string): { pkg: string; messages: ProtoMessage[] } {
  let pkg = '';
  const messages: ProtoMessage[] = [];
  let markers: string[] = [];
  let current: ProtoMessage | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('//')) {
      const m = /^\/\/\s*(\+\S+)/.exec(line);
      if (m?.[1] !== undefined) markers.push(m[1]);
      continue;
    }
    if (line === '') continue;
    const pm = /^package\s+([\w.]+);/.exec(line);
    if (pm?.[1] !== undefined) {
      pkg = pm[1];
      markers = [];
      continue;
    }
    const mm = /^message\s+(\w+)\s*\{$/.exec(line);
    if (mm?.[1] !== undefined) {
      if (current !== undefined) throw new Error(`Cannot parse proto: nested message ${mm[1]}`);
      current = { name: mm[1], markers, fields: [] };
      messages.push(current);
      markers = [];
      continue;
    }
    if (line === '}') {
      current = undefined;
      markers = [];
      continue;
    }
    if (current === undefined) {
      markers = [];
      continue;
    }
    const mapMatch = /^map<\s*string\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;$/.exec(line);
    if (mapMatch?.[1] !== undefined && mapMatch[2] !== undefined && mapMatch[3] !== undefined) {
      current.fields.push({ label: 'map', protoType: mapMatch[1], protoName: mapMatch[2], number: Number(mapMatch[3]), markers });
      markers = [];
      continue;
    }
    const fm = /^(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;$/.exec(line);
    if (fm?.[1] !== undefined && fm[2] !== undefined && fm[3] !== undefined && fm[4] !== undefined) {
      current.fields.push({ label: fm[1] as 'optional' | 'repeated', protoType: fm[2], protoName: fm[3], number: Number(fm[4]), markers });
      markers = [];
      continue;
    }
    if (line.startsWith('option ') || line.startsWith('import ') || line.startsWith('syntax ')) {
      markers = [];
      continue;
    }
    throw new Error(`Cannot parse proto line: ${JSON.stringify(line)}`);
  }
  return { pkg, messages };
}

/** parseGoStructs reads struct fields with protobuf tags from Go sources (JSON name, pointer-ness, TypeMeta). */
function parseGoStructs(sources: readonly string[]): Map<string, GoStruct> {
  const structs = new Map<string, GoStruct>();
  for (const text of sources) {
    let current: GoStruct | undefined;
    for (const line of text.split('\n')) {
      const sm = /^type\s+(\w+)\s+struct\s*\{/.exec(line);
      if (sm?.[1] !== undefined) {
        current = { fields: new Map(), typeMeta: false };
        structs.set(sm[1], current);
        continue;
      }
      if (current === undefined) continue;
      if (line.startsWith('}')) {
        current = undefined;
        continue;
      }
      const fm = /^\s+(?:(\w+)\s+)?(\*?[\w.[\]*]+)\s+`([^`]*)`/.exec(line);
      if (fm === null) continue;
      const goType = fm[2] ?? '';
      const tag = fm[3] ?? '';
      if (fm[1] === undefined && /(^|\.)TypeMeta$/.test(goType)) current.typeMeta = true;
      // An embedded struct's tag may leave out name= (EphemeralContainer's `protobuf:"bytes,1,req"`): protoc-gen-gogo
      // then names the field after the type, lowerCamelCase.
      const embedded = fm[1] === undefined ? /(\w+)$/.exec(goType)?.[1] : undefined;
      const proto = /protobuf:"[^"]*name=(\w+)/.exec(tag) ?? (embedded && /protobuf:"/.test(tag) ? [tag, embedded.charAt(0).toLowerCase() + embedded.slice(1)] : null);
      if (proto?.[1] === undefined) continue;
      const json = /json:"([^",]*)([^"]*)"/.exec(tag);
      const options = json?.[2] ?? '';
      current.fields.set(proto[1], {
        jsonName: json?.[1] ?? proto[1],
        pointer: goType.startsWith('*'),
        omitEmpty: options.includes('omitempty') || options.includes('omitzero'),
      });
    }
  }
  return structs;
}

function markerValues(markers: readonly string[], name: string): string[] {
  const prefix = `+${name}=`;
  return markers.filter((m) => m.startsWith(prefix)).map((m) => m.slice(prefix.length));
}

const SCALARS: Readonly<Record<string, ScalarType>> = {
  string: 'string',
  int32: 'int32',
  int64: 'int64',
  bool: 'bool',
  double: 'double',
  bytes: 'bytes',
};

/** KIND_DESCRIPTIONS: one line per kind users meet, written by us (no upstream prose). */
const KIND_DESCRIPTIONS: Readonly<Record<string, string>> = {
  Pod: 'A group of containers that run together on one node, sharing network and storage.',
  Service: 'A stable virtual IP and DNS name that load-balances to the pods its selector picks.',
  Deployment: 'Keeps a number of identical pods running and rolls them to a new template step by step.',
  ReplicaSet: 'Keeps a number of identical pods running; Deployments manage ReplicaSets for you.',
  ReplicationController: 'The original way to keep a number of identical pods running (ReplicaSets replace it).',
  StatefulSet: 'Runs pods with stable names, ordinals and storage, created and updated in order.',
  DaemonSet: 'Runs one copy of a pod on every eligible node.',
  Job: 'Runs pods until a number of them finish successfully.',
  CronJob: 'Creates Jobs on a schedule.',
  ConfigMap: 'Non-secret configuration as key/value pairs, for pods to read as files or environment variables.',
  Secret: 'Sensitive data (passwords, tokens, keys) as key/value pairs, kept apart from pod specs.',
  Namespace: 'A scope for names; most objects live in one, and deleting it deletes its content.',
  Node: 'A machine that runs pods, with its capacity, conditions and addresses.',
  ServiceAccount: 'An identity for processes that run in pods.',
  Endpoints: 'The addresses and ports behind a Service (see also EndpointSlice).',
  EndpointSlice: 'A slice of the addresses and ports behind a Service.',
  Event: 'A report of something that happened to an object, shown by kubectl describe and kubectl events.',
  PersistentVolume: 'A piece of storage in the cluster, provisioned by an administrator or dynamically.',
  PersistentVolumeClaim: 'A request for storage that binds to a PersistentVolume.',
  ResourceQuota: 'Limits on the total resources and object counts in a namespace.',
  LimitRange: 'Default and maximum resource requests and limits for the pods of a namespace.',
  PodTemplate: 'A reusable pod template.',
  Ingress: 'HTTP(S) routing from hosts and paths to Services.',
  IngressClass: 'A kind of Ingress and the controller that serves it.',
  NetworkPolicy: 'Which traffic may reach or leave the pods it selects.',
  HorizontalPodAutoscaler: 'Scales a workload between a minimum and a maximum of replicas to keep metrics on target.',
  PodDisruptionBudget: 'How many pods of a set may be down at once during voluntary disruptions (drains).',
  Role: 'A set of permissions within a namespace.',
  ClusterRole: 'A set of permissions across the cluster, or a reusable one bound in namespaces.',
  RoleBinding: 'Grants the permissions of a Role or ClusterRole to users, groups or service accounts in a namespace.',
  ClusterRoleBinding: 'Grants the permissions of a ClusterRole to users, groups or service accounts cluster-wide.',
  StorageClass: 'A kind of storage and how volumes of it are provisioned.',
  PriorityClass: 'A named scheduling priority for pods.',
  Lease: 'A lock with a holder and a renewal time (node heartbeats, leader election).',
  CustomResourceDefinition: 'Defines a new resource type served by the API server.',
  ControllerRevision: 'An immutable snapshot of a workload template, used for rollbacks.',
  CertificateSigningRequest: 'A request for a certificate signed by the cluster (node TLS bootstrap).',
};

/** Per-kind one-line descriptions, written by us. */
function kindDescription(kind: string, gv: string): string {
  if (kind.endsWith('List')) return `${kind} is a list of ${kind.slice(0, -4)} objects (${gv}).`;
  return KIND_DESCRIPTIONS[kind] ?? `${kind} is a ${gv} API object.`;
}

function main(): void {
  // Pass 1: parse every package so that cross-package references can be resolved and checked.
  interface Parsed {
    readonly source: PackageSource;
    readonly pkg: string;
    readonly messages: ProtoMessage[];
    readonly go: Map<string, GoStruct>;
  }
  const parsed: Parsed[] = [];
  const known = new Map<string, ProtoMessage>();
  for (const source of SOURCES) {
    const { pkg, messages } = parseProto(gitShow(source.mirror, `${source.dir}/generated.proto`));
    const goFiles = gitList(source.mirror, source.dir).filter(
      (f) => f.endsWith('.go') && !f.endsWith('_test.go') && !f.startsWith('zz_generated') && f !== 'generated.pb.go' && !f.includes('swagger_doc'),
    );
    const go = parseGoStructs(goFiles.map((f) => gitShow(source.mirror, `${source.dir}/${f}`)));
    parsed.push({ source, pkg, messages, go });
    for (const m of messages) known.set(definitionName(pkg, m.name), m);
  }

  // Wrapper messages around a Go slice (`type Verbs []string`) are a JSON array on the wire of JSON.
  const listWrappers = new Map<string, FieldType>();
  for (const p of parsed) {
    for (const m of p.messages) {
      const only = m.fields[0];
      if (m.markers.includes('+protobuf.nullable=true') && m.fields.length === 1 && only?.label === 'repeated' && only.number === 1) {
        const scalar = SCALARS[only.protoType];
        if (scalar === undefined) throw new Error(`Cannot wrap list ${m.name}: element type ${only.protoType}`);
        listWrappers.set(definitionName(p.pkg, m.name), { kind: 'array', items: { kind: 'scalar', scalar } });
      }
    }
  }

  // Kinds per group/version: from the scheme plus their lists plus the extras above.
  const kindsByGv = new Map<string, Set<string>>();
  const addKind = (gv: string, kind: string): void => {
    let set = kindsByGv.get(gv);
    if (set === undefined) kindsByGv.set(gv, (set = new Set()));
    set.add(kind);
  };
  for (const r of BUILTIN_RESOURCES) {
    addKind(r.group === '' ? r.version : `${r.group}/${r.version}`, r.kind);
    for (const s of r.subresources ?? []) {
      if (s.kind !== undefined) addKind(s.kind.group === '' ? s.kind.version : `${s.kind.group}/${s.kind.version}`, s.kind.kind);
    }
  }
  for (const [gv, kinds] of Object.entries(EXTRA_KINDS)) for (const k of kinds) addKind(gv, k);

  const gvkFor = (source: PackageSource, message: string, parsedMsg: ProtoMessage): GroupVersionKind[] | undefined => {
    if (source.group === undefined || source.version === undefined) return undefined;
    if (source.group === 'meta.k8s.io' && SHARED_META_KINDS.includes(message)) {
      const gvs = new Set<string>(['meta.k8s.io/v1']);
      for (const s of SOURCES) if (s.group !== undefined && s.version !== undefined && s.group !== 'meta.k8s.io') gvs.add(s.group === '' ? s.version : `${s.group}/${s.version}`);
      return [...gvs].sort().map((gv) => {
        const slash = gv.indexOf('/');
        return { group: slash < 0 ? '' : gv.slice(0, slash), version: slash < 0 ? gv : gv.slice(slash + 1), kind: message };
      });
    }
    if (source.group === 'meta.k8s.io' && message === 'Status') {
      // Status travels as apiVersion "v1" (the legacy group) in every response.
      return [{ group: '', version: 'v1', kind: 'Status' }, { group: source.group, version: source.version, kind: 'Status' }];
    }
    const gv = source.group === '' ? source.version : `${source.group}/${source.version}`;
    const kinds = kindsByGv.get(gv);
    const isKind = kinds?.has(message) === true;
    // A list kind (XList of a kind X) must really be a list: it has items.
    const isList = message.endsWith('List') && kinds?.has(message.slice(0, -4)) === true && parsedMsg.fields.some((f) => f.protoName === 'items');
    if (!isKind && !isList) return undefined;
    return [{ group: source.group, version: source.version, kind: message }];
  };

  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  const index: { packages: Record<string, string>; kinds: Record<string, string> } = { packages: {}, kinds: {} };
  let typeCount = 0;
  const skipped: string[] = [];

  for (const { source, pkg, messages, go } of parsed) {
    const resolve = (protoType: string): FieldType | undefined => {
      const scalar = SCALARS[protoType];
      if (scalar !== undefined) return { kind: 'scalar', scalar };
      const qualified = protoType.startsWith('.') ? protoType.slice(1) : protoType.includes('.') ? protoType : `${pkg}.${protoType}`;
      const lastDot = qualified.lastIndexOf('.');
      const name = definitionName(qualified.slice(0, lastDot), qualified.slice(lastDot + 1));
      // Fields that reference packages we do not serve (alpha/beta groups) are left out.
      if (!known.has(name)) return undefined;
      const special = SPECIAL_TYPES[name];
      if (special !== undefined) return { kind: 'special', special };
      const wrapper = listWrappers.get(name);
      if (wrapper !== undefined) return wrapper;
      return { kind: 'ref', ref: name };
    };

    const types: TypeSchema[] = [];
    for (const message of messages) {
      const name = definitionName(pkg, message.name);
      const goStruct = go.get(message.name);
      const fields: FieldSchema[] = [];
      const gvk = gvkFor(source, message.name, message);
      if (goStruct?.typeMeta === true || gvk !== undefined) {
        // TypeMeta is not part of the protobuf message; protoNumber 0 marks a JSON-only field.
        fields.push({ name: 'apiVersion', protoNumber: 0, type: { kind: 'scalar', scalar: 'string' } });
        fields.push({ name: 'kind', protoNumber: 0, type: { kind: 'scalar', scalar: 'string' } });
      }
      for (const f of message.fields) {
        const goField = goStruct?.fields.get(f.protoName);
        const element = resolve(f.protoType);
        if (element === undefined) {
          skipped.push(`${message.name}.${f.protoName} (${f.protoType})`);
          continue;
        }
        const wrapsList = !SCALARS[f.protoType] && element.kind === 'array';
        let type: FieldType;
        if (f.label === 'map') type = { kind: 'map', values: element };
        else if (f.label === 'repeated') type = { kind: 'array', items: element };
        else type = element;
        const field: Record<string, unknown> = { name: goField?.jsonName ?? f.protoName, protoNumber: f.number, type };
        const patchStrategy = markerValues(f.markers, 'patchStrategy')[0];
        const patchMergeKey = markerValues(f.markers, 'patchMergeKey')[0];
        const listType = markerValues(f.markers, 'listType')[0];
        const listMapKeys = markerValues(f.markers, 'listMapKey');
        const mapType = markerValues(f.markers, 'mapType')[0];
        if (patchStrategy !== undefined) field['patchStrategy'] = patchStrategy;
        if (patchMergeKey !== undefined) field['patchMergeKey'] = patchMergeKey;
        if (listType !== undefined) field['listType'] = listType;
        if (listMapKeys.length > 0) field['listMapKeys'] = listMapKeys;
        if (mapType !== undefined) field['mapType'] = mapType;
        // Required as OpenAPI states it: not marked optional, and not omitted from JSON when empty.
        const optional = f.markers.includes('+optional') || f.markers.some((m) => m.startsWith('+k8s:optional'));
        if (!optional && goField?.omitEmpty !== true && field['name'] !== '') field['required'] = true;
        // A single field holding a list-wrapper message (meta Verbs): the array travels inside that message.
        if (wrapsList && f.label === 'optional') field['protoPacked'] = true;
        // Go pointer: a zero value on the wire was set on purpose and must be kept in JSON.
        if (goField?.pointer === true) field['nullable'] = true;
        fields.push(field as unknown as FieldSchema);
      }
      const type: Record<string, unknown> = { name };
      if (gvk !== undefined) {
        type['description'] = kindDescription(message.name, gvk.length === 1 ? `${gvk[0]?.group === '' ? '' : `${gvk[0]?.group ?? ''}/`}${gvk[0]?.version ?? ''}` : 'meta');
        type['gvk'] = gvk;
        for (const k of gvk) index.kinds[`${k.group}/${k.version}/${k.kind}`] ??= name;
      }
      type['fields'] = fields;
      const special = SPECIAL_TYPES[name];
      if (special !== undefined) type['special'] = special;
      types.push(type as unknown as TypeSchema);
    }
    const prefix = definitionName(pkg, '').slice(0, -1);
    index.packages[prefix] = source.file;
    writeFileSync(join(OUT_DIR, source.file), JSON.stringify({ package: prefix, types }) + '\n');
    typeCount += types.length;
  }
  writeFileSync(join(OUT_DIR, 'index.json'), JSON.stringify(index) + '\n');
  if (skipped.length > 0) process.stdout.write(`Left out fields of unserved types: ${skipped.join(', ')}\n`);
  process.stdout.write(`Wrote ${typeCount} types in ${SOURCES.length} packages, ${Object.keys(index.kinds).length} kinds, to ${OUT_DIR}\n`);
}

main();
