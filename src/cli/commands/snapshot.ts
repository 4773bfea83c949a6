/**
 * `tkube snapshot save FILE` / `tkube snapshot restore FILE --data-dir D`: a point-in-time copy of the datastore
 * (SQLite or etcd, as `--datastore-endpoint` says) with the data dir's keys, restorable into a fresh data dir.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';

import { defaultDataDir } from '../../boot/server-config.js';
import { restoreSnapshot, saveSnapshot } from '../../boot/snapshot.js';

interface SaveFlags {
  dataDir: string;
  datastoreEndpoint?: string;
  datastoreCafile?: string;
  datastoreCertfile?: string;
  datastoreKeyfile?: string;
}

/** registerSnapshotCommand adds `tkube snapshot save|restore`. */
export function registerSnapshotCommand(program: Command): void {
  const snapshot = program.command('snapshot').description('Save the cluster state to a file, or restore it into a fresh data dir');
  snapshot
    .command('save <file>')
    .description('Write a point-in-time snapshot of the datastore and the data dir\'s keys to <file> (SQLite: stop the server first)')
    .option('--data-dir <dir>', 'the server data dir (its keys, and its SQLite database by default)', defaultDataDir())
    .option('--datastore-endpoint <url>', 'the datastore, as given to tkube server: sqlite:///path/state.db or http(s)://etcd:2379[,…]')
    .option('--datastore-cafile <file>', 'CA certificate that signed the etcd serving certificates')
    .option('--datastore-certfile <file>', 'client certificate for etcd')
    .option('--datastore-keyfile <file>', 'private key of --datastore-certfile')
    .action(async (file: string, f: SaveFlags) => {
      const summary = await saveSnapshot(
        {
          dataDir: resolve(f.dataDir),
          datastoreEndpoint: f.datastoreEndpoint,
          datastoreTls: {
            ...(f.datastoreCafile ? { caFile: resolve(f.datastoreCafile) } : {}),
            ...(f.datastoreCertfile ? { certFile: resolve(f.datastoreCertfile) } : {}),
            ...(f.datastoreKeyfile ? { keyFile: resolve(f.datastoreKeyfile) } : {}),
          },
        },
        file,
      );
      process.stdout.write(`Snapshot saved to ${resolve(file)}: ${summary.datastore} database of ${summary.databaseBytes} bytes and ${summary.files} key files\n`);
    });
  snapshot
    .command('restore <file>')
    .description('Unpack a snapshot into a fresh data dir')
    .requiredOption('--data-dir <dir>', 'the fresh data dir to restore into')
    .action(async (file: string, f: { dataDir: string }) => {
      const summary = await restoreSnapshot(file, f.dataDir);
      const next = summary.datastore === 'sqlite'
        ? `start it with: tkube server --data-dir ${resolve(f.dataDir)}`
        : `restore etcd from it with: etcdctl snapshot restore ${summary.databasePath ?? ''} --data-dir <new etcd data dir>, start etcd there and run tkube server --data-dir ${resolve(f.dataDir)} --datastore-endpoint <its URL>`;
      process.stdout.write(`Snapshot restored into ${resolve(f.dataDir)} (${summary.files} key files); ${next}\n`);
    });
}
