/**
 * The etcd3 client library, loaded on first use. With its gRPC and protobuf stack it takes about 0.8 s to load
 * (a CPU profile of the bundled CLI's start-up: a third of it), which a server on SQLite — the default — would
 * otherwise pay at every start, before `/readyz` can answer. A dynamic import keeps it out of the start-up path in
 * the bundle too (esbuild hoists static imports of external packages to the top of the one output file).
 */
import type * as Etcd3Library from 'etcd3';

/** Etcd3Module is the etcd3 package's exports. */
export type Etcd3Module = typeof Etcd3Library;

let loading: Promise<Etcd3Module> | undefined;

/** loadEtcd3 loads the etcd3 package once and resolves with its exports. */
export function loadEtcd3(): Promise<Etcd3Module> {
  loading ??= import('etcd3');
  return loading;
}
