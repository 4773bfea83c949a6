/**
 * Kubeconfig files: writing the admin kubeconfig and merging a cluster into a user's kubeconfig the way
 * minikube does (a named cluster, user and context; current-context switched to it), keeping everything else
 * in the file as it was. Files are written 0600 and replaced atomically (write to a temp file, then rename).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse, stringify } from 'yaml';

/** KubeconfigEntry is what one cluster contributes to a kubeconfig. */
export interface KubeconfigEntry {
  /** The name used for the cluster, the user and the context (e.g. "tkube"). */
  readonly name: string;
  readonly server: string;
  readonly caPem: string;
  /** Client certificate credentials. */
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
  /** Or a bearer token. */
  readonly token?: string;
  /** The context's namespace. @default "default" */
  readonly namespace?: string;
}

interface Named {
  name: string;
  [k: string]: unknown;
}

/** Kubeconfig is the parsed file (only the parts we touch are typed). */
export interface Kubeconfig {
  apiVersion: string;
  kind: string;
  clusters: Named[];
  users: Named[];
  contexts: Named[];
  'current-context': string;
  preferences?: Record<string, unknown>;
  [k: string]: unknown;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** buildKubeconfig makes a kubeconfig holding just this entry, current-context set to it. */
export function buildKubeconfig(e: KubeconfigEntry): Kubeconfig {
  const user: Record<string, string> = {};
  if (e.clientCertPem && e.clientKeyPem) {
    user['client-certificate-data'] = b64(e.clientCertPem);
    user['client-key-data'] = b64(e.clientKeyPem);
  }
  if (e.token) user.token = e.token;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name: e.name, cluster: { server: e.server, 'certificate-authority-data': b64(e.caPem) } }],
    users: [{ name: e.name, user }],
    contexts: [{ name: e.name, context: { cluster: e.name, user: e.name, namespace: e.namespace ?? 'default' } }],
    'current-context': e.name,
  };
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** readKubeconfig parses a kubeconfig file, or returns an empty one when it does not exist. */
export function readKubeconfig(path: string): Kubeconfig {
  const empty: Kubeconfig = { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [], 'current-context': '', preferences: {} };
  if (!existsSync(path)) return empty;
  const parsed: unknown = parse(readFileSync(path, 'utf8'));
  if (parsed === null || parsed === undefined) return empty;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`Cannot read kubeconfig "${path}": not a YAML mapping`);
  const kc = parsed as Partial<Kubeconfig>;
  return {
    ...empty,
    ...kc,
    clusters: Array.isArray(kc.clusters) ? kc.clusters : [],
    users: Array.isArray(kc.users) ? kc.users : [],
    contexts: Array.isArray(kc.contexts) ? kc.contexts : [],
    'current-context': typeof kc['current-context'] === 'string' ? kc['current-context'] : '',
  };
}

/** writeKubeconfig writes a kubeconfig containing only this entry (mode 0600). */
export function writeKubeconfig(path: string, e: KubeconfigEntry): void {
  writeAtomic(path, stringify(buildKubeconfig(e)));
}

function upsert(list: Named[], item: Named): Named[] {
  const i = list.findIndex((x) => x.name === item.name);
  if (i < 0) return [...list, item];
  const out = [...list];
  out[i] = item;
  return out;
}

/** mergeIntoKubeconfig adds or replaces the entry's cluster, user and context in `path`, and makes it current. */
export function mergeIntoKubeconfig(path: string, e: KubeconfigEntry): void {
  const kc = readKubeconfig(path);
  const add = buildKubeconfig(e);
  kc.clusters = upsert(kc.clusters, add.clusters[0] as Named);
  kc.users = upsert(kc.users, add.users[0] as Named);
  kc.contexts = upsert(kc.contexts, add.contexts[0] as Named);
  kc['current-context'] = e.name;
  writeAtomic(path, stringify(kc));
}

/** removeFromKubeconfig drops the named cluster, user and context; clears current-context if it was that one. */
export function removeFromKubeconfig(path: string, name: string): boolean {
  if (!existsSync(path)) return false;
  const kc = readKubeconfig(path);
  const before = kc.contexts.length + kc.clusters.length + kc.users.length;
  kc.clusters = kc.clusters.filter((c) => c.name !== name);
  kc.users = kc.users.filter((c) => c.name !== name);
  kc.contexts = kc.contexts.filter((c) => c.name !== name);
  if (kc['current-context'] === name) kc['current-context'] = '';
  if (kc.contexts.length + kc.clusters.length + kc.users.length === before) return false;
  writeAtomic(path, stringify(kc));
  return true;
}

/** kubeconfigPoints tells whether `path`'s entry `name` points at `server` (for `tkube status`). */
export function kubeconfigPoints(path: string, name: string, server: string): boolean {
  const kc = readKubeconfig(path);
  const c = kc.clusters.find((x) => x.name === name);
  const cluster = c?.cluster as { server?: string } | undefined;
  return cluster?.server === server;
}
