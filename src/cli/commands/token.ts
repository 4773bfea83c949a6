/**
 * `tkube token create | list | delete`: bootstrap (join) tokens, as `kubeadm token` manages them, through the API
 * with the data dir's admin kubeconfig (or `--kubeconfig`).
 *  - `create` prints the join command for a new node (kubeadm's `--print-join-command`), or just the token with
 *    `--token-only` (scripts).
 *  - `list` prints kubeadm's table: TOKEN TTL EXPIRES USAGES DESCRIPTION EXTRA GROUPS.
 *  - `delete <id|token>...` deletes the tokens' Secrets.
 */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { BOOTSTRAP_TOKEN_FORMAT, BOOTSTRAP_TOKEN_SECRET_PREFIX, readBootstrapToken, tokenExpired, type BootstrapToken } from '../../api/bootstrap/bootstrap-token.js';
import { formatTimestamp } from '../../api/meta/timestamp.js';
import { parseGoDuration } from '../../api/protobuf/go-duration.js';
import { createBootstrapToken, DEFAULT_NODE_TOKEN_GROUP } from '../../boot/bootstrap-token.js';
import { joinCommandFor } from '../../boot/join-command.js';
import { defaultDataDir } from '../../boot/server-config.js';
import { isNotFound } from '../../client/api-error.js';
import { readKubeconfig } from '../../client/kubeconfig.js';
import { RestClient } from '../../client/rest-client.js';
import { CliError } from '../cli-error.js';

interface ClientFlags {
  dataDir: string;
  kubeconfig?: string;
}

interface TokenCreateFlags extends ClientFlags {
  ttl: string;
  description?: string;
  groups: string;
  usages: string;
  tokenOnly?: boolean;
}

const SECRETS = { version: 'v1', resource: 'secrets', namespace: 'kube-system' } as const;

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function kubeconfigPath(f: ClientFlags): string {
  return f.kubeconfig ? resolve(f.kubeconfig) : join(resolve(f.dataDir), 'admin.kubeconfig');
}

function adminClient(f: ClientFlags): RestClient {
  try {
    return RestClient.fromKubeconfig(kubeconfigPath(f), { userAgent: 'tkube-token' });
  } catch (err) {
    throw new CliError(`cannot reach the cluster with ${kubeconfigPath(f)}: ${err instanceof Error ? err.message : String(err)} (is this the server's --data-dir, or give --kubeconfig)`);
  }
}

/** serverOf reads the server URL of a kubeconfig's current context. */
function serverOf(path: string): string {
  const kc = readKubeconfig(path);
  const ctx = kc.contexts.find((c) => c.name === kc['current-context'])?.['context'] as { cluster?: string } | undefined;
  const cluster = kc.clusters.find((c) => c.name === ctx?.cluster)?.['cluster'] as { server?: string } | undefined;
  return cluster?.server ?? '';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** shortHumanDuration words a positive duration as kubectl and kubeadm do: 45s, 12m, 23h, 6d, 2y. */
export function shortHumanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  if (s < 365 * 86400) return `${Math.floor(s / 86400)}d`;
  return `${Math.floor(s / (365 * 86400))}y`;
}

/** tokenRows renders `kubeadm token list`'s columns for each token at `now`. */
export function tokenRows(tokens: readonly BootstrapToken[], now: number): string[][] {
  return tokens.map((t) => [
    `${t.id}.${t.secret}`,
    t.expiresAt === undefined ? '<forever>' : tokenExpired(t, now) ? '<invalid>' : shortHumanDuration(t.expiresAt - now),
    t.expiresAt === undefined ? '<never>' : Number.isNaN(t.expiresAt) ? '<invalid>' : formatTimestamp(t.expiresAt),
    t.usages.join(',') || '<none>',
    t.description ?? '<none>',
    t.extraGroups.join(',') || '<none>',
  ]);
}

/** formatTable pads columns with three spaces, as kubeadm's tabwriter does. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join('').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

async function create(given: string | undefined, f: TokenCreateFlags): Promise<void> {
  const nanos = f.ttl === '0' ? 0 : parseGoDuration(f.ttl);
  if (nanos === undefined || nanos < 0) throw new CliError(`invalid duration "${f.ttl}": want a duration like 24h or 0`);
  if (given !== undefined && !BOOTSTRAP_TOKEN_FORMAT.test(given)) throw new CliError(`the token "${given}" is malformed: want [a-z0-9]{6}.[a-z0-9]{16}, e.g. abcdef.0123456789abcdef`);
  const client = adminClient(f);
  try {
    const created = await createBootstrapToken(client, {
      token: given,
      ttlMs: Math.round(nanos / 1e6),
      description: f.description,
      groups: list(f.groups),
      usages: list(f.usages),
      now: Date.now(),
    }).catch((err: unknown) => {
      throw new CliError(`cannot create token: ${errorText(err)}`);
    });
    if (f.tokenOnly) {
      process.stdout.write(`${created}\n`);
      return;
    }
    const command = await joinCommandFor(client, created, serverOf(kubeconfigPath(f))).catch((err: unknown) => {
      throw new CliError(`created token ${created}, but cannot print its join command: ${errorText(err)}`);
    });
    process.stdout.write(`${command}\n`);
  } finally {
    client.close();
  }
}

async function listTokens(f: ClientFlags): Promise<void> {
  const client = adminClient(f);
  try {
    const secrets = (await client.list(SECRETS).catch((err: unknown) => {
      throw new CliError(`cannot list tokens: ${errorText(err)}`);
    })) as { items?: Parameters<typeof readBootstrapToken>[0][] };
    const tokens = (secrets.items ?? []).map(readBootstrapToken).filter((t): t is BootstrapToken => t !== undefined);
    if (tokens.length === 0) {
      process.stderr.write('No bootstrap tokens found (create one with `tkube token create`).\n');
      return;
    }
    process.stdout.write(formatTable(['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS'], tokenRows(tokens, Date.now())));
  } finally {
    client.close();
  }
}

async function deleteTokens(ids: readonly string[], f: ClientFlags): Promise<void> {
  const wanted = ids.map((arg) => {
    const id = /^([a-z0-9]{6})(?:\.[a-z0-9]{16})?$/.exec(arg)?.[1];
    if (!id) throw new CliError(`"${arg}" is neither a token id ([a-z0-9]{6}) nor a token ([a-z0-9]{6}.[a-z0-9]{16})`);
    return id;
  });
  const client = adminClient(f);
  try {
    for (const id of wanted) {
      try {
        await client.delete({ ...SECRETS, name: `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}` });
      } catch (err) {
        if (isNotFound(err)) throw new CliError(`bootstrap token "${id}" not found`);
        throw new CliError(`cannot delete bootstrap token "${id}": ${errorText(err)}`);
      }
      process.stdout.write(`bootstrap token "${id}" deleted\n`);
    }
  } finally {
    client.close();
  }
}

function clientFlags(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'the server data dir whose admin kubeconfig is used', defaultDataDir())
    .option('--kubeconfig <path>', 'use this kubeconfig instead of <data-dir>/admin.kubeconfig');
}

/** registerTokenCommand adds `tkube token create | list | delete`. */
export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description('Manage bootstrap (join) tokens');
  clientFlags(token.command('create [token]'))
    .description('Create a bootstrap token (generated unless given as [a-z0-9]{6}.[a-z0-9]{16}) and print the join command for it')
    .option('--ttl <duration>', 'time before the token expires (0 = never)', '24h0m0s')
    .option('--description <text>', 'a human-readable description')
    .option('--groups <list>', 'extra groups to authenticate as (comma-separated, system:bootstrappers:*)', DEFAULT_NODE_TOKEN_GROUP)
    .option('--usages <list>', 'usages of the token (comma-separated)', 'signing,authentication')
    .option('--token-only', 'print only the token, not the join command')
    .action(create);
  clientFlags(token.command('list'))
    .description('List bootstrap tokens')
    .action(listTokens);
  clientFlags(token.command('delete <token-id-or-token...>'))
    .description('Delete bootstrap tokens (by id abcdef, or whole token abcdef.0123456789abcdef)')
    .action(deleteTokens);
}
