/**
 * `tkube operator run PATH…`: run operator modules (docs/operators.md) in this process against the cluster of a
 * kubeconfig, until SIGTERM/SIGINT. The same modules run inside the server with `tkube server --operator PATH`.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { runOperatorProcess } from '../../boot/operator-process.js';
import { CliError } from '../cli-error.js';
import { runUntilSignalled } from '../run-until-signalled.js';

interface OperatorRunFlags {
  kubeconfig?: string;
  context?: string;
  watch: boolean;
}

/** registerOperatorCommand adds `tkube operator run`. */
export function registerOperatorCommand(program: Command): void {
  const operator = program.command('operator').description('Run operators written with the tkube SDK');
  operator
    .command('run')
    .description('Run operator modules against a cluster, reloading them when their files change')
    .argument('<path...>', 'operator module files (.ts, .mts, .js or .mjs)')
    .option('--kubeconfig <file>', 'kubeconfig to connect with (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .option('--no-watch', 'do not reload an operator when its file changes')
    .action(async (paths: string[], flags: OperatorRunFlags) => {
      const files = paths.map((p) => resolve(p));
      const missing = files.find((f) => !existsSync(f));
      if (missing) throw new CliError(`operator file "${missing}" does not exist`);
      if (flags.kubeconfig && !existsSync(flags.kubeconfig)) throw new CliError(`kubeconfig "${flags.kubeconfig}" does not exist`);
      let running;
      try {
        running = await runOperatorProcess({
          paths: files,
          ...(flags.kubeconfig ? { kubeconfig: resolve(flags.kubeconfig) } : {}),
          ...(flags.context ? { context: flags.context } : {}),
          watch: flags.watch,
        });
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err));
      }
      await runUntilSignalled(running);
    });
}
