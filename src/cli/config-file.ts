/**
 * The config file of `tkube server`, `agent`, `up` and `init` (k3s's `config.yaml`): a YAML mapping from flag names,
 * without their dashes, to values, read from `--config FILE`:
 *
 *   write-kubeconfig-mode: "0644"
 *   node-label: [zone=a, tier=web]     # a list repeats the flag
 *   disable-agent: true                # true sets a switch; false leaves it out
 *
 * The file's flags are put before the command line's, so a flag given on the command line wins (a repeatable one
 * adds to the file's). A file that cannot be read or is not such a mapping is a CliError naming the file.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CliError } from './cli-error.js';

/** Commands whose flags a config file may set. */
const CONFIGURABLE = new Set(['server', 'agent', 'up', 'init']);
const KEY = /^[a-z][a-z0-9-]*$/;

/** configFileArgs turns a config file's text into flags (`file` names it in errors). */
export function configFileArgs(text: string, file: string): string[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new CliError(`cannot read config file ${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new CliError(`config file ${file}: want a mapping of flag names to values`);
  const args: string[] = [];
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (!KEY.test(key) || key === 'config') throw new CliError(`config file ${file}: "${key}" is not a flag name`);
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (v === true) args.push(`--${key}`);
      else if (v === false || v === null) continue;
      else if (typeof v === 'string' || typeof v === 'number') args.push(`--${key}`, String(v));
      else throw new CliError(`config file ${file}: "${key}" wants a string, number, boolean or list of them`);
    }
  }
  return args;
}

/**
 * withConfigFile expands `--config FILE` (or `--config=FILE`) of a configurable command into the file's flags,
 * placed right after the command name; other argv pass through unchanged.
 */
export function withConfigFile(argv: readonly string[], read: (path: string) => string = (p) => readFileSync(p, 'utf8')): string[] {
  const [command, ...rest] = argv;
  if (command === undefined || !CONFIGURABLE.has(command)) return [...argv];
  const i = rest.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (i < 0) return [...argv];
  const arg = rest[i] ?? '';
  const file = arg === '--config' ? rest[i + 1] : arg.slice('--config='.length);
  if (!file) throw new CliError('--config wants a file');
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    throw new CliError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const remaining = [...rest.slice(0, i), ...rest.slice(i + (arg === '--config' ? 2 : 1))];
  return [command, ...configFileArgs(text, file), ...remaining];
}
