/**
 * Conversion of 2014-era `v1beta1` (and the same-shaped `v1beta2`) Pod, Service and ReplicationController
 * documents into `v1` objects, for `tkube convert`. Pure functions: a parsed document in, v1 objects and warnings
 * out; nothing is thrown for bad input.
 *
 * The legacy shape (kubernetes `pkg/api/v1beta1/types.go`, 2014): the name is `id`; labels and annotations sit
 * beside `kind`; a Pod's spec is `desiredState.manifest` (a ContainerManifest: `containers`, `volumes`,
 * `restartPolicy` as `{always: {}}`…); a Service has one `port`, a `containerPort` (number or port name), a
 * `selector` and `createExternalLoadBalancer`; a ReplicationController has `desiredState.replicas`,
 * `replicaSelector` and a `podTemplate` holding the pod's `desiredState` and `labels`. A container's `command`
 * replaced the image's Cmd and kept its Entrypoint, which is v1's `args`; `entrypoint` (added later) is v1's
 * `command`. `cpu` is millicores and `memory` bytes, both limits.
 *
 * Every field the conversion does not carry over is named in a warning; server-set state (`currentState`,
 * `creationTimestamp`, `selfLink`, `resourceVersion`, `uid`) is dropped without one.
 */
import { FieldReader, isRecord } from './field-reader.js';

/** LEGACY_API_VERSIONS are the pre-v1 core versions this converter reads. */
export const LEGACY_API_VERSIONS: readonly string[] = ['v1beta1', 'v1beta2'];

export type V1Object = Record<string, unknown>;

/** ConversionResult: the converted objects, the warnings (one line each) and the errors (objects not converted). */
export interface ConversionResult {
  readonly objects: V1Object[];
  readonly warnings: string[];
  readonly errors: string[];
}

const SERVER_SET = ['creationTimestamp', 'selfLink', 'resourceVersion', 'uid', 'currentState'];

/** convertLegacyDocuments converts every object of the documents (a `List`'s items are converted one by one). */
export function convertLegacyDocuments(docs: readonly unknown[]): ConversionResult {
  const out: ConversionResult = { objects: [], warnings: [], errors: [] };
  const visit = (doc: unknown, where: string): void => {
    if (doc === null || doc === undefined) return;
    if (Array.isArray(doc)) {
      doc.forEach((d, i) => visit(d, `${where}[${i}]`));
      return;
    }
    if (!isRecord(doc)) {
      out.errors.push(`${where}: not an object`);
      return;
    }
    if (doc['kind'] === 'List' || (typeof doc['kind'] === 'string' && doc['kind'].endsWith('List') && Array.isArray(doc['items']))) {
      const items = doc['items'];
      if (Array.isArray(items)) items.forEach((d, i) => visit(d, `${where}.items[${i}]`));
      return;
    }
    const converted = convertLegacyObject(doc);
    out.warnings.push(...converted.warnings);
    if ('error' in converted) out.errors.push(converted.error);
    else out.objects.push(converted.object);
  };
  docs.forEach((d, i) => visit(d, docs.length > 1 ? `document ${i + 1}` : 'document'));
  return out;
}

/** convertLegacyObject converts one object; a v1 object is passed through unchanged (with a warning). */
export function convertLegacyObject(obj: Record<string, unknown>): { object: V1Object; warnings: string[] } | { error: string; warnings: string[] } {
  const warnings: string[] = [];
  const kind = typeof obj['kind'] === 'string' ? obj['kind'] : '';
  const apiVersion = typeof obj['apiVersion'] === 'string' ? obj['apiVersion'] : '';
  const label = `${kind || 'object'} "${typeof obj['id'] === 'string' ? obj['id'] : ((obj['metadata'] as { name?: string } | undefined)?.name ?? '')}"`;
  if (!LEGACY_API_VERSIONS.includes(apiVersion)) {
    if (apiVersion === 'v1' || apiVersion.includes('/')) {
      warnings.push(`${label}: already ${apiVersion}; passed through unchanged`);
      return { object: obj, warnings };
    }
    return { error: `${label}: apiVersion "${apiVersion}" is not one tkube converts (want ${LEGACY_API_VERSIONS.join(' or ')})`, warnings };
  }
  const r = new FieldReader(obj, '', []);
  let object: V1Object;
  switch (kind) {
    case 'Pod':
      object = convertPod(r);
      break;
    case 'Service':
      object = convertService(r);
      break;
    case 'ReplicationController':
      object = convertReplicationController(r);
      break;
    default:
      return { error: `${label}: kind "${kind}" is not one tkube converts from ${apiVersion} (Pod, Service, ReplicationController)`, warnings };
  }
  r.finish();
  for (const w of r.warnings) warnings.push(`${label}: ${w}`);
  if ((object['metadata'] as { name?: string }).name === undefined) return { error: `${label}: has no "id" (the v1 name)`, warnings };
  return { object, warnings };
}

/** metadataOf reads the type-meta fields every legacy object has. */
function metadataOf(r: FieldReader): Record<string, unknown> {
  r.ignore('kind', 'apiVersion', ...SERVER_SET);
  const meta: Record<string, unknown> = {};
  const name = r.string('id');
  if (name !== undefined) meta['name'] = name;
  const ns = r.string('namespace');
  if (ns !== undefined && ns !== '') meta['namespace'] = ns;
  const labels = r.stringMap('labels');
  if (labels && Object.keys(labels).length > 0) meta['labels'] = labels;
  const annotations = r.stringMap('annotations');
  if (annotations && Object.keys(annotations).length > 0) meta['annotations'] = annotations;
  return meta;
}

function convertPod(r: FieldReader): V1Object {
  const metadata = metadataOf(r);
  const spec = podSpecOf(r);
  const nodeSelector = r.stringMap('nodeSelector');
  if (nodeSelector) spec['nodeSelector'] = nodeSelector;
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

/** podSpecOf reads `desiredState` (a PodState) of a pod or a pod template. */
function podSpecOf(parent: FieldReader): Record<string, unknown> {
  const state = parent.object('desiredState');
  const spec: Record<string, unknown> = { containers: [] };
  if (!state) {
    parent.warnings.push('desiredState: missing; the pod has no containers');
    return spec;
  }
  state.ignore('status', 'podIP', 'hostIP', 'info');
  const host = state.string('host');
  if (host) spec['nodeName'] = host;
  const manifest = state.object('manifest');
  state.finish();
  if (!manifest) {
    parent.warnings.push(`${state.path}.manifest: missing; the pod has no containers`);
    return spec;
  }
  manifest.ignore('version', 'id', 'uuid');
  spec['containers'] = manifest.list('containers').map(containerOf);
  const volumes = manifest.list('volumes').map(volumeOf).filter((v): v is Record<string, unknown> => v !== undefined);
  if (volumes.length > 0) spec['volumes'] = volumes;
  const restart = restartPolicyOf(manifest);
  if (restart) spec['restartPolicy'] = restart;
  const dnsPolicy = manifest.string('dnsPolicy');
  if (dnsPolicy) spec['dnsPolicy'] = dnsPolicy;
  const hostNetwork = manifest.boolean('hostNetwork');
  if (hostNetwork) spec['hostNetwork'] = true;
  manifest.finish();
  return spec;
}

/** restartPolicyOf reads `restartPolicy`: v1beta1's `{always: {}}` form, or a plain string. */
function restartPolicyOf(manifest: FieldReader): string | undefined {
  const v = manifest.take('restartPolicy');
  if (v === undefined || v === null) return undefined;
  const names: Record<string, string> = { always: 'Always', onfailure: 'OnFailure', never: 'Never' };
  const key = typeof v === 'string' ? v : isRecord(v) ? (Object.keys(v)[0] ?? '') : '';
  const policy = names[key.toLowerCase()];
  if (!policy) manifest.warnings.push(`${manifest.at('restartPolicy')}: ${JSON.stringify(v)} is not always, onFailure or never; dropped`);
  return policy;
}

const PULL_POLICIES: Record<string, string> = { PullAlways: 'Always', PullNever: 'Never', PullIfNotPresent: 'IfNotPresent', Always: 'Always', Never: 'Never', IfNotPresent: 'IfNotPresent' };

function containerOf(c: FieldReader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const name = c.string('name');
  if (name !== undefined) out['name'] = name;
  const image = c.string('image');
  if (image !== undefined) out['image'] = image;
  const entrypoint = c.stringList('entrypoint');
  if (entrypoint) out['command'] = entrypoint;
  const command = c.stringList('command');
  if (command) out['args'] = command;
  const workingDir = c.string('workingDir');
  if (workingDir) out['workingDir'] = workingDir;
  const ports = c.list('ports').map(portOf);
  if (ports.length > 0) out['ports'] = ports;
  const env = c.list('env').map((e) => {
    // `key` is the 2014 spelling of `name`.
    const envName = e.string('name') ?? e.string('key');
    const value = e.string('value');
    e.finish();
    return { name: envName, ...(value !== undefined ? { value } : {}) };
  });
  if (env.length > 0) out['env'] = env;
  const limits: Record<string, unknown> = {};
  const cpu = c.number('cpu');
  if (cpu) limits['cpu'] = `${cpu}m`;
  const memory = c.number('memory');
  if (memory) limits['memory'] = String(memory);
  if (Object.keys(limits).length > 0) out['resources'] = { limits };
  const mounts = c.list('volumeMounts').map((m) => {
    // `path` is the 2014 spelling of `mountPath`; `mountType` had no effect and is gone.
    m.ignore('mountType');
    const mount: Record<string, unknown> = { name: m.string('name'), mountPath: m.string('mountPath') ?? m.string('path') };
    if (m.boolean('readOnly')) mount['readOnly'] = true;
    m.finish();
    return mount;
  });
  if (mounts.length > 0) out['volumeMounts'] = mounts;
  const probe = c.object('livenessProbe');
  if (probe) out['livenessProbe'] = probeOf(probe);
  const privileged = c.boolean('privileged');
  if (privileged) out['securityContext'] = { privileged: true };
  const pull = c.string('imagePullPolicy');
  if (pull !== undefined) {
    const policy = PULL_POLICIES[pull];
    if (policy) out['imagePullPolicy'] = policy;
    else c.warnings.push(`${c.at('imagePullPolicy')}: "${pull}" is not PullAlways, PullNever or PullIfNotPresent; dropped`);
  }
  const terminationMessagePath = c.string('terminationMessagePath');
  if (terminationMessagePath) out['terminationMessagePath'] = terminationMessagePath;
  c.finish();
  return out;
}

function portOf(p: FieldReader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const name = p.string('name');
  if (name) out['name'] = name.toLowerCase();
  const containerPort = p.number('containerPort');
  if (containerPort !== undefined) out['containerPort'] = containerPort;
  const hostPort = p.number('hostPort');
  if (hostPort) out['hostPort'] = hostPort;
  const protocol = p.string('protocol');
  if (protocol) out['protocol'] = protocol.toUpperCase();
  const hostIP = p.string('hostIP');
  if (hostIP) out['hostIP'] = hostIP;
  p.finish();
  return out;
}

function probeOf(p: FieldReader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  p.ignore('type'); // The 2014 discriminator ("http", "tcp", "exec"): the handler field present says the same.
  const http = p.object('httpGet');
  if (http) {
    const port = http.take('port');
    out['httpGet'] = { path: http.string('path') ?? '/', port: typeof port === 'number' || typeof port === 'string' ? port : 80, ...(http.has('host') ? { host: http.string('host') } : {}) };
    http.finish();
  }
  const tcp = p.object('tcpSocket');
  if (tcp) {
    const port = tcp.take('port');
    out['tcpSocket'] = { port };
    tcp.finish();
  }
  const exec = p.object('exec');
  if (exec) {
    out['exec'] = { command: exec.stringList('command') ?? [] };
    exec.finish();
  }
  const delay = p.number('initialDelaySeconds');
  if (delay !== undefined) out['initialDelaySeconds'] = delay;
  const timeout = p.number('timeoutSeconds');
  if (timeout !== undefined) out['timeoutSeconds'] = timeout;
  p.finish();
  return out;
}

/** volumeOf reads a volume: `source` holds `hostDir`, `emptyDir`, `gitRepo` or `persistentDisk`; no source was an emptyDir. */
function volumeOf(v: FieldReader): Record<string, unknown> | undefined {
  const name = v.string('name');
  const source = v.object('source');
  v.finish();
  if (!source) return { name, emptyDir: {} };
  const out: Record<string, unknown> = { name };
  const hostDir = source.object('hostDir') ?? source.object('hostPath');
  if (hostDir) {
    out['hostPath'] = { path: hostDir.string('path') };
    hostDir.finish();
  }
  const emptyDir = source.object('emptyDir');
  if (emptyDir) {
    out['emptyDir'] = {};
    emptyDir.finish();
  }
  const git = source.object('gitRepo');
  if (git) {
    out['gitRepo'] = { repository: git.string('repository'), ...(git.has('revision') ? { revision: git.string('revision') } : {}) };
    git.finish();
  }
  const pd = source.object('persistentDisk');
  if (pd) {
    out['gcePersistentDisk'] = {
      pdName: pd.string('pdName'),
      ...(pd.has('fsType') ? { fsType: pd.string('fsType') } : {}),
      ...(pd.has('partition') ? { partition: pd.number('partition') } : {}),
      ...(pd.boolean('readOnly') ? { readOnly: true } : {}),
    };
    pd.finish();
  }
  source.finish();
  if (Object.keys(out).length === 1) {
    // `source: {}` (or only unknown fields): 2014 servers treated it as an empty directory too.
    out['emptyDir'] = {};
  }
  return out;
}

function convertService(r: FieldReader): V1Object {
  const metadata = metadataOf(r);
  r.ignore('proxyPort'); // Set by the 2014 proxy; v1 has no such field.
  const spec: Record<string, unknown> = {};
  const port: Record<string, unknown> = {};
  const p = r.number('port');
  if (p !== undefined) port['port'] = p;
  const protocol = r.string('protocol');
  port['protocol'] = protocol ? protocol.toUpperCase() : 'TCP';
  const target = r.take('containerPort');
  if (typeof target === 'number' || (typeof target === 'string' && target !== '')) port['targetPort'] = target;
  else if (target !== undefined && target !== null && target !== 0) r.warnings.push(`containerPort: ${JSON.stringify(target)} is not a port number or name; dropped`);
  spec['ports'] = [port];
  const selector = r.stringMap('selector');
  if (selector) spec['selector'] = selector;
  const portalIP = r.string('portalIP');
  if (portalIP) spec['clusterIP'] = portalIP;
  const publicIPs = r.stringList('publicIPs');
  if (publicIPs && publicIPs.length > 0) spec['externalIPs'] = publicIPs;
  if (r.boolean('createExternalLoadBalancer')) spec['type'] = 'LoadBalancer';
  const affinity = r.string('sessionAffinity');
  if (affinity) spec['sessionAffinity'] = affinity;
  if (p === undefined) r.warnings.push('port: missing; the Service has no port');
  return { apiVersion: 'v1', kind: 'Service', metadata, spec };
}

function convertReplicationController(r: FieldReader): V1Object {
  const metadata = metadataOf(r);
  const spec: Record<string, unknown> = {};
  const state = r.object('desiredState');
  if (!state) {
    r.warnings.push('desiredState: missing; the controller has no pod template');
    return { apiVersion: 'v1', kind: 'ReplicationController', metadata, spec };
  }
  const replicas = state.number('replicas');
  spec['replicas'] = replicas ?? 1;
  const selector = state.stringMap('replicaSelector');
  if (selector) spec['selector'] = selector;
  const template = state.object('podTemplate');
  state.finish();
  if (template) {
    const tmeta: Record<string, unknown> = {};
    const labels = template.stringMap('labels');
    if (labels) tmeta['labels'] = labels;
    const annotations = template.stringMap('annotations');
    if (annotations) tmeta['annotations'] = annotations;
    const podSpec = podSpecOf(template);
    const nodeSelector = template.stringMap('nodeSelector');
    if (nodeSelector) podSpec['nodeSelector'] = nodeSelector;
    template.finish();
    spec['template'] = { metadata: tmeta, spec: podSpec };
    // v1 requires the selector to match the template's labels; 2014 servers defaulted it the same way.
    if (!selector && labels) spec['selector'] = labels;
  } else {
    state.warnings.push(`${state.path}.podTemplate: missing; the controller has no pod template`);
  }
  return { apiVersion: 'v1', kind: 'ReplicationController', metadata, spec };
}
