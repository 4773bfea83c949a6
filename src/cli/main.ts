/**
 * tkube's command line: parse argv, pick a command, run it. Thin by design: each command turns flags into a
 * config object and calls boot/ or a command module. Expected failures print one plain line and exit non-zero.
 */
import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { registerServerCommand } from './commands/server.js';
import { registerAgentCommand } from './commands/agent.js';
import { registerComponentCommands } from './commands/controller-manager.js';
import { registerLocalClusterCommands } from './commands/local-cluster.js';
import { registerVersionCommand } from './commands/version.js';
import { registerTokenCommand } from './commands/token.js';
import { registerImagesCommand } from './commands/images.js';
import { registerDevClusterCommands } from './commands/dev-cluster.js';
import { registerJoinCommand } from './commands/join.js';
import { registerInitCommand } from './commands/init.js';
import { registerSnapshotCommand } from './commands/snapshot.js';
import { registerConvertCommand } from './commands/convert.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerInstallServiceCommand } from './commands/install-service.js';
import { registerDashboardCommand } from './commands/dashboard.js';
import { registerOperatorCommand } from './commands/operator.js';
import { registerResetCommand } from './commands/reset.js';
import { registerLoadBalancerCommand } from './commands/load-balancer.js';
import { withConfigFile } from './config-file.js';

/** run parses argv and runs the chosen command. */
export async function run(argv: string[]): Promise<number> {
  const program = new Command('tkube')
    .description('A Kubernetes-compatible cluster in one program')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerServerCommand(program);
  registerAgentCommand(program);
  registerComponentCommands(program);
  registerLocalClusterCommands(program);
  registerVersionCommand(program);
  registerTokenCommand(program);
  registerImagesCommand(program);
  registerDevClusterCommands(program);
  registerInitCommand(program);
  registerJoinCommand(program);
  registerSnapshotCommand(program);
  registerConvertCommand(program);
  registerLogsCommand(program);
  registerInstallServiceCommand(program);
  registerDashboardCommand(program);
  registerOperatorCommand(program);
  registerResetCommand(program);
  registerLoadBalancerCommand(program);
  program.command('test').description('Run the whole test suite (handled by the ./tkube launcher)').action(() => {
    throw new CliError('run the test suite with ./tkube test');
  });
  try {
    await program.parseAsync(withConfigFile(argv), { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError) {
      process.stderr.write(`tkube: ${err.message}\n`);
      return err.exitCode;
    }
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`tkube: ${msg}\n`);
    if (process.env.TKUBE_DEBUG) console.error(err);
    return 1;
  }
}

const code = await run(process.argv.slice(2));
if (code !== 0 || !process.env.TKUBE_KEEP_RUNNING) process.exitCode = code;
