/**
 * `tkube install-service [--data-dir D] [--unit-dir DIR] [--name N] [--dry-run] [--force] [-- SERVER-FLAGS…]`:
 * writes a systemd unit that runs `tkube server` at boot, for users who want the cluster started with the machine
 * (an alternative to `tkube up`). It enables and starts nothing: it prints the systemctl commands to run.
 * `--dry-run` prints the unit instead of writing it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultDataDir } from '../../boot/server-config.js';
import { systemdUnit } from '../../boot/systemd-unit.js';
import { CliError } from '../cli-error.js';

interface InstallServiceFlags {
  dataDir: string;
  unitDir: string;
  name: string;
  dryRun?: boolean;
  force?: boolean;
}

/** tkubeCommand is how this very program is started again: node, its flags, the entry script. */
function tkubeCommand(): string[] {
  const script = process.argv[1];
  if (!script) throw new CliError('cannot tell where the tkube program is (process.argv[1] is empty)');
  return [process.execPath, ...process.execArgv, resolve(script)];
}

/** registerInstallServiceCommand adds `tkube install-service`. */
export function registerInstallServiceCommand(program: Command): void {
  program
    .command('install-service')
    .description('Write a systemd unit that runs "tkube server" at boot (enables nothing; prints the systemctl commands)')
    .argument('[server-flags...]', 'more `tkube server` flags, after --')
    .option('--data-dir <dir>', 'the data dir the server uses', defaultDataDir())
    .option('--unit-dir <dir>', 'where the unit file goes', '/etc/systemd/system')
    .option('--name <name>', 'the unit name (without .service)', 'tkube')
    .option('--dry-run', 'print the unit instead of writing it')
    .option('--force', 'replace an existing, different unit file')
    .action((serverFlags: string[], f: InstallServiceFlags) => {
      if (!/^[A-Za-z0-9_.@-]+$/.test(f.name)) throw new CliError(`invalid --name "${f.name}": letters, digits, "_", ".", "@" and "-" only`);
      const unit = systemdUnit({ execStart: [...tkubeCommand(), 'server', '--data-dir', resolve(f.dataDir), ...serverFlags] });
      if (f.dryRun) {
        process.stdout.write(unit);
        return;
      }
      const dir = resolve(f.unitDir);
      const path = join(dir, `${f.name}.service`);
      if (existsSync(path) && readFileSync(path, 'utf8') !== unit && !f.force) {
        throw new CliError(`${path} exists and differs: pass --force to replace it, or --dry-run to see the new unit`);
      }
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(path, unit, { mode: 0o644 });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new CliError(`cannot write ${path}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied (run as root, or pass --unit-dir)' : (code ?? String(err))}`);
      }
      process.stdout.write(`Wrote ${path}\nTo start tkube now and at every boot:\n  systemctl daemon-reload\n  systemctl enable --now ${f.name}\n`);
    });
}
