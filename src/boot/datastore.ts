/**
 * The datastore named by `--datastore-endpoint` (k3s's flag): SQLite by default (`<data-dir>/db/state.db`) or with
 * `sqlite://PATH`, etcd with its client URLs `http(s)://HOST:2379[,…]` and, for TLS, `--datastore-cafile`,
 * `--datastore-certfile` and `--datastore-keyfile`. Shared by `tkube server` and `tkube snapshot`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { EtcdStorage, type EtcdStorageOptions } from '../storage/etcd/etcd-storage.js';
import { SqliteStorage } from '../storage/sqlite/sqlite-storage.js';
import type { Storage } from '../storage/storage.js';

/** DatastoreConfig is the part of the server config that names the datastore. */
export interface DatastoreConfig {
  readonly dataDir: string;
  readonly datastoreEndpoint?: string;
  readonly datastoreTls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /** Size quota of the SQLite datastore in bytes, 0 for none. @default DEFAULT_DATASTORE_QUOTA_BYTES */
  readonly datastoreQuotaBytes?: number;
}

/**
 * DEFAULT_DATASTORE_QUOTA_BYTES is 2 GiB, etcd's default `--quota-backend-bytes`: far above what one tkube server's
 * objects plus five minutes of history take (tens of MiB for thousands of objects), so it only trips when something
 * runs away, and well before a runaway writer fills the disk the node's pods and logs share.
 */
export const DEFAULT_DATASTORE_QUOTA_BYTES = 2 * 1024 ** 3;

/** Datastore is where the config points: a SQLite file or an etcd cluster. */
export type Datastore = { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'etcd'; readonly options: EtcdStorageOptions };

/** resolveDatastore reads the endpoint and the TLS files; throws one clear line on a bad endpoint or unreadable file. */
export function resolveDatastore(config: DatastoreConfig): Datastore {
  const ep = config.datastoreEndpoint;
  if (!ep) return { kind: 'sqlite', path: join(config.dataDir, 'db', 'state.db') };
  if (ep.startsWith('sqlite://')) return { kind: 'sqlite', path: ep.slice('sqlite://'.length) };
  const endpoints = parseEtcdEndpoints(ep);
  if (!endpoints) throw new Error(`Cannot use datastore "${ep}": use sqlite:///path/state.db or etcd's client URLs http(s)://host:2379[,…]`);
  const tls = config.datastoreTls ?? {};
  const read = (flag: string, file: string | undefined): string | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`Cannot read ${flag} ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const caPem = read('--datastore-cafile', tls.caFile);
  const certPem = read('--datastore-certfile', tls.certFile);
  const keyPem = read('--datastore-keyfile', tls.keyFile);
  if ((certPem === undefined) !== (keyPem === undefined)) throw new Error('Cannot use etcd: --datastore-certfile and --datastore-keyfile go together');
  return { kind: 'etcd', options: { endpoints, caPem, certPem, keyPem } };
}

/** openStorage opens the configured datastore (etcd must answer within a few seconds). */
export async function openStorage(config: DatastoreConfig): Promise<Storage> {
  const ds = resolveDatastore(config);
  return ds.kind === 'sqlite'
    ? SqliteStorage.open({ path: ds.path, quotaBytes: config.datastoreQuotaBytes ?? DEFAULT_DATASTORE_QUOTA_BYTES })
    : EtcdStorage.open(ds.options);
}

/** parseEtcdEndpoints reads `http(s)://host:port[,…]`; undefined when `ep` is not that. */
export function parseEtcdEndpoints(ep: string): string[] | undefined {
  const parts = ep.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0 || !parts.every((p) => /^https?:\/\/[^/\s]+\/?$/.test(p))) return undefined;
  return parts.map((p) => p.replace(/\/$/, ''));
}
