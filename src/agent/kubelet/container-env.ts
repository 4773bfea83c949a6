/**
 * A container's environment as upstream's kubelet builds it (makeEnvironmentVariables):
 *  1. `envFrom` sources in order — every key of the ConfigMap/Secret, with the source's prefix; keys that are not
 *     valid variable names are skipped and reported (one warning per source, upstream's words);
 *  2. `env` in order — `value` with `$(VAR)` expanded against what is defined so far and the service variables,
 *     or `valueFrom` (configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef);
 *  3. the service variables (see service-env.ts) not already set.
 * A missing non-optional ConfigMap/Secret or key is an error value with upstream's message
 * (`configmap "x" not found`, `couldn't find key k in ConfigMap ns/x`); the kubelet keeps the container waiting
 * with CreateContainerConfigError.
 */
import type { KeyValue } from '../cri/runtime-service.js';
import { type NodeAllocatable, podField, resourceField } from '../downward/field-ref.js';
import type { ObjectSource } from '../object-source.js';
import type { Container, DataObject, PodView } from '../pod-spec.js';
import { expand, lookupIn } from './env-expansion.js';
import { type ServiceAddressResolver, serviceEnv, visibleServices } from './service-env.js';

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** ContainerEnv is the outcome: the variables (and warnings to record as events), or why there are none. */
export type ContainerEnv = { readonly envs: KeyValue[]; readonly warnings: readonly string[]; readonly error?: undefined } | { readonly error: string };

/** decodeData returns a ConfigMap's (data + binaryData) or a Secret's (base64 data) values as text. */
export function dataOf(obj: DataObject, secret: boolean): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj.data ?? {})) out.set(k, secret ? Buffer.from(v, 'base64').toString('utf8') : v);
  if (!secret) for (const [k, v] of Object.entries(obj.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64').toString('utf8'));
  return out;
}

/**
 * buildContainerEnv computes the environment of `container` in `pod`; see the file comment. `serviceAddresses`
 * (process runtime with the userspace proxy) points the service variables where the proxy listens.
 */
export async function buildContainerEnv(pod: PodView, container: Container, source: ObjectSource, node: NodeAllocatable, serviceAddresses?: ServiceAddressResolver): Promise<ContainerEnv> {
  const ns = pod.metadata?.namespace ?? '';
  const warnings: string[] = [];
  const env = new Map<string, string>();
  // Objects are read once per container start, however many references name them.
  const cache = new Map<string, Promise<DataObject | undefined>>();
  const read = (kind: 'configmap' | 'secret', name: string): Promise<DataObject | undefined> => {
    const key = `${kind}/${name}`;
    let p = cache.get(key);
    if (!p) {
      p = kind === 'configmap' ? source.configMap(ns, name) : source.secret(ns, name);
      cache.set(key, p);
    }
    return p;
  };

  const links = pod.spec?.enableServiceLinks !== false;
  const own = links ? await source.services(ns) : [];
  const defaults = ns === 'default' && links ? own : await source.services('default');
  const services = serviceEnv(visibleServices(ns, links, own, defaults), serviceAddresses);

  for (const from of container.envFrom ?? []) {
    const kind = from.configMapRef ? 'configmap' : from.secretRef ? 'secret' : undefined;
    const ref = from.configMapRef ?? from.secretRef;
    if (!kind || !ref) continue;
    const name = ref.name ?? '';
    const obj = await read(kind, name);
    if (!obj) {
      if (ref.optional === true) continue;
      return { error: `${kind} "${name}" not found` };
    }
    const invalid: string[] = [];
    for (const [k, v] of dataOf(obj, kind === 'secret')) {
      const full = `${from.prefix ?? ''}${k}`;
      if (!ENV_VAR_NAME.test(full)) {
        invalid.push(full);
        continue;
      }
      env.set(full, v);
    }
    if (invalid.length > 0) {
      invalid.sort();
      const what = kind === 'configmap' ? 'configMap' : 'secret';
      warnings.push(`Keys [${invalid.join(', ')}] from the EnvFrom ${what} ${ns}/${name} were skipped since they are considered invalid environment variable names.`);
    }
  }

  for (const v of container.env ?? []) {
    const from = v.valueFrom;
    if (!from) {
      env.set(v.name, expand(v.value ?? '', lookupIn(env, services)));
      continue;
    }
    if (from.fieldRef) {
      const r = podField(pod, from.fieldRef.fieldPath, false);
      if (r.error !== undefined) return { error: r.error };
      env.set(v.name, r.value);
    } else if (from.resourceFieldRef) {
      const r = resourceField(pod, container, from.resourceFieldRef, node);
      if (r.error !== undefined) return { error: r.error };
      env.set(v.name, r.value);
    } else if (from.configMapKeyRef || from.secretKeyRef) {
      const kind = from.configMapKeyRef ? 'configmap' : 'secret';
      const ref = (from.configMapKeyRef ?? from.secretKeyRef) as { name?: string; key: string; optional?: boolean };
      const name = ref.name ?? '';
      const obj = await read(kind, name);
      if (!obj) {
        if (ref.optional === true) continue;
        return { error: `${kind} "${name}" not found` };
      }
      const value = dataOf(obj, kind === 'secret').get(ref.key);
      if (value === undefined) {
        if (ref.optional === true) continue;
        return { error: `couldn't find key ${ref.key} in ${kind === 'configmap' ? 'ConfigMap' : 'Secret'} ${ns}/${name}` };
      }
      env.set(v.name, value);
    }
  }

  for (const [k, v] of services) if (!env.has(k)) env.set(k, v);
  return { envs: [...env].map(([key, value]) => ({ key, value })), warnings };
}

/** expandCommand applies `$(VAR)` expansion to command or args with the container's final environment. */
export function expandCommand(args: readonly string[], envs: readonly KeyValue[]): string[] {
  const m = new Map(envs.map((e) => [e.key, e.value]));
  return args.map((a) => expand(a, lookupIn(m)));
}
