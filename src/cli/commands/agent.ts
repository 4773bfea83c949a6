/**
 * `tkube agent`: run node(s) against an API server until SIGTERM/SIGINT. Only `--runtime simulated` exists so
 * far: it registers `--nodes N` nodes, renews their Leases and moves their pods to Running without running
 * anything. The agent authenticates with a kubeconfig or a bearer token (`--server` + `--token`).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { startAgent } from '../../boot/agent.js';
import { newLogger } from '../../base/log/logger.js';
import { RestClient } from '../../client/rest-client.js';
import { CliError } from '../cli-error.js';

/** AgentFlags are the parsed flags of `tkube agent`. */
export interface AgentFlags {
  server?: string;
  token?: string;
  caFile?: string;
  kubeconfig?: string;
  runtime: string;
  nodes: number;
  nodeName?: string;
  namePrefix: string;
  firstIndex: number;
  clusterCidr: string;
  nodeCpu: string;
  nodeMemory: string;
  nodePods: string;
  nodeLabel: string[];
  nodeTaint: string[];
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`invalid count "${value}": want a whole number`);
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter((s) => s.length > 0)];
}

/** parseTaint reads `key[=value]:Effect`. */
export function parseTaint(s: string): { key: string; value?: string; effect: string } {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(s);
  if (!m) throw new CliError(`invalid taint "${s}": want key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
  return { key: m[1] ?? '', ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3] ?? '' };
}

function parseLabels(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new CliError(`invalid label "${item}": want key=value`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

function clientFrom(f: AgentFlags): RestClient {
  if (f.kubeconfig) return RestClient.fromKubeconfig(f.kubeconfig, { userAgent: 'tkube-agent' });
  if (!f.server || !f.token) throw new CliError('cannot reach the API server: give --kubeconfig, or --server and --token');
  return new RestClient({ server: f.server, token: f.token, caPem: f.caFile ? readFileSync(f.caFile, 'utf8') : undefined, userAgent: 'tkube-agent' });
}

/** registerAgentCommand adds `tkube agent`. */
export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('Run node(s) that join a cluster (simulated runtime: nothing really runs)')
    .option('--server <url>', 'API server URL, e.g. https://10.0.0.1:6443')
    .option('--token <token>', 'bearer token to authenticate with')
    .option('--ca-file <path>', "the cluster CA certificate (PEM) that signed the server's certificate")
    .option('--kubeconfig <path>', 'authenticate with this kubeconfig instead of --server/--token')
    .option('--runtime <name>', 'container runtime: simulated', 'simulated')
    .option('--nodes <n>', 'how many nodes to run', count, 1)
    .option('--node-name <name>', 'the node name (with --nodes 1)')
    .option('--name-prefix <prefix>', 'node names are <prefix>0, <prefix>1, …', 'agent-')
    .option('--first-index <n>', 'index of the first node (picks its pod CIDR and address; keep ranges of agents apart)', count, 128)
    .option('--cluster-cidr <cidr>', 'IP range pod CIDRs are cut from', '10.42.0.0/16')
    .option('--node-cpu <quantity>', 'CPU capacity of each node', '4')
    .option('--node-memory <quantity>', 'memory capacity of each node', '16Gi')
    .option('--node-pods <n>', 'pod capacity of each node', '110')
    .option('--node-label <key=value>', 'extra node label (repeatable, comma-separated)', collect, [])
    .option('--node-taint <key=value:Effect>', 'node taint (repeatable, comma-separated)', collect, [])
    .action(async (f: AgentFlags) => {
      const client = clientFrom(f);
      const running = await startAgent({
        client,
        runtime: f.runtime,
        nodes: f.nodes,
        nodeName: f.nodeName,
        namePrefix: f.namePrefix,
        firstIndex: f.firstIndex,
        clusterCidr: f.clusterCidr,
        resources: { cpu: f.nodeCpu, memory: f.nodeMemory, pods: f.nodePods },
        labels: parseLabels(f.nodeLabel),
        taints: f.nodeTaint.map(parseTaint),
        log: newLogger('agent'),
      });
      process.stderr.write(`tkube agent: running ${running.nodeNames.length} node(s): ${running.nodeNames.slice(0, 5).join(', ')}${running.nodeNames.length > 5 ? ', …' : ''}\n`);
      await new Promise<void>((done) => {
        let stopping = false;
        const stop = (): void => {
          if (stopping) return;
          stopping = true;
          running.stop().then(done, () => done());
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
      client.close();
    });
}
