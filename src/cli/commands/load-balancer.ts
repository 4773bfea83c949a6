/**
 * `tkube load-balancer --listen 127.0.0.1:6443 --server URL[,URL…]`: a fixed registration address for several
 * servers (k3s's advice for HA: kubectl and other clients have no failover of their own). A TCP proxy that passes
 * TLS through to the first server that answers and, with health checks, passes `/readyz`
 * (client/loadbalancer/server-load-balancer.ts). Clients verify the server's certificate for the address they
 * dialled, so the listen address (or the name clients use for it) must be in every server's certificate:
 * 127.0.0.1 always is, anything else needs `tkube server --tls-san`. Runs in the foreground until SIGTERM/SIGINT.
 */
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { parseGoDuration } from '../../api/protobuf/go-duration.js';
import { newLogger } from '../../base/log/logger.js';
import { ServerLoadBalancer } from '../../client/loadbalancer/server-load-balancer.js';
import { CliError } from '../cli-error.js';
import { runUntilSignalled } from '../run-until-signalled.js';
import { collectRepeatable } from './repeatable-flag.js';

interface LoadBalancerFlags {
  listen: string;
  server: string[];
  healthCheckInterval: number;
  dialTimeout: number;
}

/** parseListen reads `host:port` (an IP address; IPv6 in brackets). */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(value);
  const host = m?.[1] ?? m?.[2] ?? '';
  const port = Number(m?.[3]);
  if (!m || isIP(host) === 0 || !Number.isInteger(port) || port > 65535) throw new CliError(`invalid listen address "${value}": want IP:PORT, e.g. 127.0.0.1:6443`);
  return { host, port };
}

/** parseServerUrl checks one `--server` URL: https with a host. */
export function parseServerUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new CliError(`invalid server URL "${value}": want https://host:port`);
  }
  if (u.protocol !== 'https:' || u.hostname === '') throw new CliError(`invalid server URL "${value}": want https://host:port`);
  return value;
}

function parseDurationMs(value: string): number {
  const nanos = parseGoDuration(value);
  if (nanos === undefined || nanos < 0) throw new CliError(`invalid duration "${value}": want a duration like 2s or 500ms (0s = none)`);
  return Math.round(nanos / 1e6);
}

async function run(f: LoadBalancerFlags): Promise<void> {
  const listen = parseListen(f.listen);
  const servers = f.server.map(parseServerUrl);
  const [first, ...others] = servers;
  if (!first) throw new CliError('no servers: give --server URL[,URL…]');
  if (f.dialTimeout <= 0) throw new CliError('--dial-timeout must be more than 0s');
  const log = newLogger('load-balancer');
  const lb = new ServerLoadBalancer({
    defaultServer: first,
    servers: others,
    listen,
    dialTimeoutMs: f.dialTimeout,
    ...(f.healthCheckInterval > 0 ? { healthCheckIntervalMs: f.healthCheckInterval } : {}),
    log,
  });
  try {
    await lb.start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'EADDRINUSE' ? `cannot listen on ${f.listen}: the port is in use` : `cannot listen on ${f.listen}: ${err instanceof Error ? err.message : String(err)}`);
  }
  log.info('Load balancer listening', { url: lb.url, servers: lb.servers().join(',') });
  await runUntilSignalled(lb);
}

/** registerLoadBalancerCommand adds `tkube load-balancer`. */
export function registerLoadBalancerCommand(program: Command): void {
  program
    .command('load-balancer')
    .description('A TCP load balancer in front of several API servers: a fixed address for kubeconfigs that fails over between them')
    .requiredOption('--listen <ip:port>', 'address to listen on, e.g. 127.0.0.1:6443 (every server\'s certificate must cover the address clients dial)')
    .option('--server <url>', 'API server URL (repeatable, comma-separated); new connections go to the first that answers, in order', collectRepeatable, [])
    .option('--health-check-interval <duration>', 'probe each server\'s /readyz this often and prefer servers that pass (0s = only fail over when a dial fails)', parseDurationMs, 2_000)
    .option('--dial-timeout <duration>', 'how long a dial may take before the next server is tried', parseDurationMs, 3_000)
    .action(run);
}
