/**
 * `tkube dashboard`: opens the web dashboard signed in, as `minikube dashboard` does — a local proxy on loopback
 * (src/client/api-proxy.ts) forwards to the API server with the kubeconfig's credentials, and the browser is
 * pointed at the proxy's `/dashboard/`. `--url` prints the address instead of opening a browser. Runs until
 * interrupted.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { ApiProxy } from '../../client/api-proxy.js';
import { restConfigFromKubeconfig } from '../../client/rest-client.js';
import { userKubeconfigPath } from '../../boot/server-config.js';
import { CliError } from '../cli-error.js';
import { runUntilSignalled } from '../run-until-signalled.js';

interface DashboardFlags {
  kubeconfig?: string;
  context?: string;
  address: string;
  port: string;
  url?: boolean;
}

function openBrowser(url: string): boolean {
  for (const cmd of ['xdg-open', 'sensible-browser']) {
    try {
      const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
      child.on('error', () => undefined);
      child.unref();
      return true;
    } catch {
      // try the next opener
    }
  }
  return false;
}

/** registerDashboardCommand adds `tkube dashboard`. */
export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('Open the web dashboard, signed in with your kubeconfig (a local proxy, like minikube dashboard)')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .option('--address <ip>', 'loopback address the proxy listens on', '127.0.0.1')
    .option('--port <port>', 'port the proxy listens on (0: any free port)', '0')
    .option('--url', 'print the dashboard URL instead of opening a browser')
    .action(async (f: DashboardFlags) => {
      const port = Number(f.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`invalid port "${f.port}": want 0-65535`);
      if (!['127.0.0.1', '::1', 'localhost'].includes(f.address)) throw new CliError(`the dashboard proxy lends your credentials, so it listens on loopback only, not "${f.address}"`);
      const kubeconfig = f.kubeconfig ?? userKubeconfigPath();
      let upstream;
      try {
        upstream = restConfigFromKubeconfig(kubeconfig, f.context ? { context: f.context } : {});
      } catch (err) {
        throw new CliError(`${(err as Error).message} (start a cluster with \`./tkube up\`, or give --kubeconfig/--context)`);
      }
      const proxy = new ApiProxy({ upstream, address: f.address, port });
      let base: string;
      try {
        base = await proxy.listen();
      } catch (err) {
        throw new CliError(`cannot listen on ${f.address}:${port}: ${(err as Error).message}`);
      }
      const url = `${base}/dashboard/`;
      if (f.url || !openBrowser(url)) process.stdout.write(`${url}\n`);
      else process.stdout.write(`Opening ${url} in your browser (Ctrl-C stops the dashboard proxy)\n`);
      await runUntilSignalled({ stop: () => proxy.close() });
    });
}
