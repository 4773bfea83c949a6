/**
 * `tkube logs [server|agent|all] [-f] [--tail N] [--data-dir D]`: the background components' logs in the data dir
 * (`tkube up`'s server, `tkube join`'s agent), as `minikube logs` shows the cluster's. With `all` (the default)
 * and more than one log, each line is prefixed with its component. `-f` keeps printing what is appended until
 * interrupted.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { componentLogPath, lastLines, LOG_COMPONENTS, LogFollower, presentLogs, type LogComponent } from '../../boot/component-logs.js';
import { defaultDataDir } from '../../boot/server-config.js';
import { CliError } from '../cli-error.js';

interface LogsFlags {
  dataDir: string;
  follow?: boolean;
  tail: string;
}

/** FOLLOW_INTERVAL_MS is how often `-f` looks for new lines. */
const FOLLOW_INTERVAL_MS = 250;

function prefixed(text: string, component: LogComponent, many: boolean): string {
  if (!many || text === '') return text;
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => `[${component}] ${l}\n`)
    .join('');
}

/** registerLogsCommand adds `tkube logs`. */
export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .argument('[component]', `${LOG_COMPONENTS.join(', ')} or all`, 'all')
    .description("Print the background server's and agent's logs (from <data-dir>/logs)")
    .option('--data-dir <dir>', 'the data dir of the cluster', defaultDataDir())
    .option('-f, --follow', 'keep printing new lines until interrupted')
    .option('--tail <n>', 'lines to show from the end of each log (-1 for all)', '-1')
    .action(async (component: string, f: LogsFlags) => {
      const tail = Number(f.tail);
      if (!Number.isInteger(tail) || tail < -1) throw new CliError(`invalid --tail "${f.tail}": want a whole number, or -1 for all`);
      const asked: LogComponent[] = component === 'all' ? [...LOG_COMPONENTS] : LOG_COMPONENTS.filter((c) => c === component);
      if (asked.length === 0) throw new CliError(`unknown component "${component}": want ${LOG_COMPONENTS.join(', ')} or all`);
      const dataDir = resolve(f.dataDir);
      const present = presentLogs(dataDir, asked);
      if (present.length === 0) {
        const where = asked.map((c) => componentLogPath(dataDir, c)).join(' or ');
        throw new CliError(`no log at ${where}: start the cluster with "tkube up" (or a node with "tkube join"), or pass --data-dir`);
      }
      const many = present.length > 1;
      const followers = present.map((c) => ({ component: c, follower: new LogFollower(componentLogPath(dataDir, c)) }));
      for (const { component: c, follower } of followers) process.stdout.write(prefixed(lastLines(follower.poll(), tail), c, many));
      if (!f.follow) return;
      await new Promise<void>((done) => {
        const timer = setInterval(() => {
          for (const { component: c, follower } of followers) process.stdout.write(prefixed(follower.poll(), c, many));
        }, FOLLOW_INTERVAL_MS);
        const stop = (): void => {
          clearInterval(timer);
          done();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
