/**
 * Pod defaulting, as upstream's SetDefaults_Pod/PodSpec/Container: fills the fields a client may omit so that
 * stored pods read the same as on a real cluster. Every function mutates in place, is idempotent, and never
 * overwrites a value the client set.
 */
import { child, isObject, num, obj, objects, setDefault, setDefaultString, str, type JsonObject } from '../validation/unstructured.js';

/** DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS is the pod default. */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
/** DEFAULT_SCHEDULER_NAME is the default scheduler. */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
/** DEFAULT_VOLUME_MODE is the file mode (0644) of projected files. */
export const DEFAULT_VOLUME_MODE = 0o644;

/**
 * defaultImagePullPolicy: `Always` for an untagged or `:latest` image (no digest), `IfNotPresent` otherwise.
 */
export function defaultImagePullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return 'Always';
  return image.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: unknown): void {
  if (!isObject(probe)) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  const http = probe['httpGet'];
  if (isObject(http)) {
    setDefaultString(http, 'path', '/');
    setDefaultString(http, 'scheme', 'HTTP');
  }
  const grpc = probe['grpc'];
  if (isObject(grpc)) setDefault(grpc, 'service', '');
}

function defaultLifecycleHandler(h: unknown): void {
  if (!isObject(h)) return;
  const http = h['httpGet'];
  if (isObject(http)) {
    setDefaultString(http, 'path', '/');
    setDefaultString(http, 'scheme', 'HTTP');
  }
}

/** defaultContainer fills one container (also used for init and ephemeral containers). */
export function defaultContainer(c: JsonObject, hostNetwork: boolean): void {
  setDefaultString(c, 'terminationMessagePath', '/dev/termination-log');
  setDefaultString(c, 'terminationMessagePolicy', 'File');
  const image = str(c['image']);
  if (image !== undefined) setDefaultString(c, 'imagePullPolicy', defaultImagePullPolicy(image));
  const resources = child(c, 'resources');
  // Limits without requests imply requests equal to the limits.
  const limits = resources['limits'];
  if (isObject(limits) && Object.keys(limits).length > 0) {
    const requests = child(resources, 'requests');
    for (const [k, v] of Object.entries(limits)) setDefault(requests, k, v);
  }
  for (const p of objects(c['ports'])) {
    setDefaultString(p, 'protocol', 'TCP');
    if (hostNetwork && num(p['hostPort']) === undefined) setDefault(p, 'hostPort', p['containerPort']);
  }
  for (const e of objects(c['env'])) {
    const fieldRef = obj(e['valueFrom'])['fieldRef'];
    if (isObject(fieldRef)) setDefaultString(fieldRef, 'apiVersion', 'v1');
  }
  defaultProbe(c['livenessProbe']);
  defaultProbe(c['readinessProbe']);
  defaultProbe(c['startupProbe']);
  const lifecycle = c['lifecycle'];
  if (isObject(lifecycle)) {
    defaultLifecycleHandler(lifecycle['postStart']);
    defaultLifecycleHandler(lifecycle['preStop']);
  }
}

function defaultVolume(v: JsonObject): void {
  const sources = Object.keys(v).filter((k) => k !== 'name' && isObject(v[k]));
  if (sources.length === 0) v['emptyDir'] = {};
  for (const k of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const src = v[k];
    if (isObject(src)) setDefault(src, 'defaultMode', DEFAULT_VOLUME_MODE);
  }
  const downward = v['downwardAPI'];
  if (isObject(downward)) {
    for (const item of objects(downward['items'])) {
      const fr = item['fieldRef'];
      if (isObject(fr)) setDefaultString(fr, 'apiVersion', 'v1');
    }
  }
  const hostPath = v['hostPath'];
  if (isObject(hostPath)) setDefault(hostPath, 'type', '');
  const iscsi = v['iscsi'];
  if (isObject(iscsi)) setDefaultString(iscsi, 'iscsiInterface', 'default');
  const ephemeral = v['ephemeral'];
  if (isObject(ephemeral)) {
    const spec = obj(ephemeral['volumeClaimTemplate'])['spec'];
    if (isObject(spec)) setDefaultString(spec, 'volumeMode', 'Filesystem');
  }
}

/** defaultPodSpec fills a PodSpec (of a pod or a pod template). */
export function defaultPodSpec(spec: JsonObject): void {
  setDefaultString(spec, 'dnsPolicy', 'ClusterFirst');
  setDefaultString(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
  setDefault(spec, 'securityContext', {});
  setDefaultString(spec, 'schedulerName', DEFAULT_SCHEDULER_NAME);
  setDefault(spec, 'enableServiceLinks', true);
  const hostNetwork = spec['hostNetwork'] === true;
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of objects(spec[key])) defaultContainer(c, hostNetwork);
  }
  for (const v of objects(spec['volumes'])) defaultVolume(v);
  // The deprecated serviceAccount field mirrors serviceAccountName in both directions.
  const san = str(spec['serviceAccountName']);
  const sa = str(spec['serviceAccount']);
  if (san && !sa) spec['serviceAccount'] = san;
  else if (sa && !san) spec['serviceAccountName'] = sa;
}

/**
 * defaultPod fills a Pod. Priority fields are those the Priority admission plugin would set for a pod without
 * a priority class, so pods look the same even when that plugin is not running.
 */
export function defaultPod(pod: JsonObject): void {
  const spec = child(pod, 'spec');
  defaultPodSpec(spec);
  setDefaultString(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  setDefault(spec, 'priority', 0);
}

/** defaultPodTemplateSpec fills a PodTemplateSpec (`{metadata, spec}`) in place. */
export function defaultPodTemplateSpec(template: JsonObject): void {
  defaultPodSpec(child(template, 'spec'));
}
