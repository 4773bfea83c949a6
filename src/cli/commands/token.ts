/**
 * `tkube token create`: make a bootstrap (join) token, as `kubeadm token create` does, and print it. The Secret is
 * created through the API with the data dir's admin kubeconfig (or `--kubeconfig`).
 */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { parseGoDuration } from '../../api/protobuf/go-duration.js';
import { createBootstrapToken, DEFAULT_NODE_TOKEN_GROUP } from '../../boot/bootstrap-token.js';
import { defaultDataDir } from '../../boot/server-config.js';
import { RestClient } from '../../client/rest-client.js';
import { CliError } from '../cli-error.js';

interface TokenCreateFlags {
  dataDir: string;
  kubeconfig?: string;
  ttl: string;
  description?: string;
  groups: string;
  usages: string;
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** registerTokenCommand adds `tkube token create`. */
export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description('Manage bootstrap (join) tokens');
  token
    .command('create [token]')
    .description('Create a bootstrap token and print it (generated unless given as [a-z0-9]{6}.[a-z0-9]{16})')
    .option('--data-dir <dir>', 'the server data dir whose admin kubeconfig is used', defaultDataDir())
    .option('--kubeconfig <path>', 'use this kubeconfig instead of <data-dir>/admin.kubeconfig')
    .option('--ttl <duration>', 'time before the token expires (0 = never)', '24h0m0s')
    .option('--description <text>', 'a human-readable description')
    .option('--groups <list>', 'extra groups to authenticate as (comma-separated, system:bootstrappers:*)', DEFAULT_NODE_TOKEN_GROUP)
    .option('--usages <list>', 'usages of the token (comma-separated)', 'signing,authentication')
    .action(async (given: string | undefined, f: TokenCreateFlags) => {
      const nanos = f.ttl === '0' ? 0 : parseGoDuration(f.ttl);
      if (nanos === undefined || nanos < 0) throw new CliError(`invalid duration "${f.ttl}": want a duration like 24h or 0`);
      const client = RestClient.fromKubeconfig(f.kubeconfig ? resolve(f.kubeconfig) : join(resolve(f.dataDir), 'admin.kubeconfig'), { userAgent: 'tkube-token' });
      try {
        const created = await createBootstrapToken(client, {
          token: given,
          ttlMs: Math.round(nanos / 1e6),
          description: f.description,
          groups: list(f.groups),
          usages: list(f.usages),
          now: Date.now(),
        });
        process.stdout.write(`${created}\n`);
      } catch (err) {
        throw new CliError(`cannot create token: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        client.close();
      }
    });
}
