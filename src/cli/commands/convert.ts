/**
 * `tkube convert -f FILE [-o yaml|json]`: turns 2014-era `v1beta1`/`v1beta2` Pod, Service and
 * ReplicationController files (JSON or YAML, one object, several documents or a List) into `v1` objects that
 * `kubectl apply -f -` accepts. Warnings (fields not carried over) go to stderr, one line each; the objects go to
 * stdout (YAML documents, or one JSON object / a v1 List). `-f -` reads stdin. Exits 1 when an object could not be
 * converted (the others are still printed).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseAllDocuments, stringify } from 'yaml';
import { convertLegacyDocuments } from '../../api/legacy/v1beta1-convert.js';
import { CliError } from '../cli-error.js';

interface ConvertFlags {
  filename: string;
  output: string;
}

/** readInput reads the file (or stdin for `-`) as text; a missing file is a one-line error. */
function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`);
  }
}

/** parseDocuments parses JSON or YAML (JSON is YAML), every document of a multi-document stream. */
export function parseDocuments(text: string, file: string): unknown[] {
  const docs = parseAllDocuments(text);
  const out: unknown[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const err = doc.errors[0];
    if (err) throw new CliError(`cannot parse ${file}: ${err.message.split('\n')[0] ?? ''}`);
    out.push(doc.toJS());
  }
  return out;
}

/** registerConvertCommand adds `tkube convert`. */
export function registerConvertCommand(program: Command): void {
  program
    .command('convert')
    .description('Convert v1beta1 Pod, Service and ReplicationController files (2014 JSON) to v1 objects')
    .requiredOption('-f, --filename <file>', 'the file to convert (- for stdin)')
    .option('-o, --output <format>', 'yaml or json', 'yaml')
    .action((f: ConvertFlags) => {
      if (f.output !== 'yaml' && f.output !== 'json') throw new CliError(`invalid --output "${f.output}": want yaml or json`);
      const result = convertLegacyDocuments(parseDocuments(readInput(f.filename), f.filename));
      for (const w of result.warnings) process.stderr.write(`Warning: ${w}\n`);
      for (const e of result.errors) process.stderr.write(`tkube: ${e}\n`);
      if (result.objects.length > 0) {
        if (f.output === 'json') {
          const out = result.objects.length === 1 ? result.objects[0] : { apiVersion: 'v1', kind: 'List', items: result.objects };
          process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        } else {
          process.stdout.write(result.objects.map((o) => stringify(o)).join('---\n'));
        }
      }
      if (result.errors.length > 0 || result.objects.length === 0) {
        if (result.objects.length === 0 && result.errors.length === 0) throw new CliError(`${f.filename} holds no objects`);
        process.exitCode = 1;
      }
    });
}
