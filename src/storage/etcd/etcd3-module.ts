/**
 * loadEtcd3: the etcd3 client package, loaded on first use. It pulls in gRPC and protobufjs, which cost about a
 * third of a second of CPU to load; a server on SQLite (`tkube up`'s default) and every other CLI command never
 * need them, so nothing imports the package statically (type-only imports are fine: they vanish at build time).
 */
export type Etcd3Module = typeof import('etcd3');

let loading: Promise<Etcd3Module> | undefined;

/** loadEtcd3 resolves with the etcd3 module, importing it once per process. */
export function loadEtcd3(): Promise<Etcd3Module> {
  loading ??= import('etcd3');
  return loading;
}
