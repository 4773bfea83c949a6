/** `tkube operator run` argument checks: bad input is one plain CliError line, before anything connects. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { registerOperatorCommand } from './operator.js';

function program(): Command {
  const p = new Command('tkube').exitOverride().configureOutput({ writeErr: () => undefined });
  registerOperatorCommand(p);
  return p;
}

it('a missing operator file or kubeconfig is a CliError naming it', async () => {
  await assert.rejects(program().parseAsync(['operator', 'run', '/nonexistent/op.ts'], { from: 'user' }), (err: unknown) => err instanceof CliError && err.message === 'operator file "/nonexistent/op.ts" does not exist');
  await assert.rejects(
    program().parseAsync(['operator', 'run', import.meta.filename, '--kubeconfig', '/nonexistent/kc'], { from: 'user' }),
    (err: unknown) => err instanceof CliError && err.message === 'kubeconfig "/nonexistent/kc" does not exist',
  );
});
