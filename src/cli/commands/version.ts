/** `tkube version`: the CLI's version and the Kubernetes version it serves. */
import type { Command } from 'commander';
import { TKUBE_VERSION, KUBERNETES_VERSION } from '../../api/version.js';

/** registerVersionCommand adds `tkube version`. */
export function registerVersionCommand(program: Command): void {
  program
    .command('version')
    .description('Print the tkube version')
    .action(() => {
      process.stdout.write(`tkube version v${TKUBE_VERSION} (Kubernetes ${KUBERNETES_VERSION})\n`);
    });
}
