/** `tkube controller-manager`, `tkube scheduler` and `server-components` argument checks: one plain CliError line, before anything connects. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { registerComponentCommands } from './controller-manager.js';

function program(): Command {
  const p = new Command('tkube').exitOverride().configureOutput({ writeErr: () => undefined });
  registerComponentCommands(p);
  return p;
}

function cliError(message: string | RegExp): (err: unknown) => boolean {
  return (err: unknown) => err instanceof CliError && (typeof message === 'string' ? err.message === message : message.test(err.message));
}

it('a missing kubeconfig, a lone signing file or an unreadable one is a CliError naming it', async () => {
  await assert.rejects(program().parseAsync(['scheduler', '--kubeconfig', '/nonexistent/kc'], { from: 'user' }), cliError('kubeconfig "/nonexistent/kc" does not exist (give --kubeconfig)'));
  await assert.rejects(program().parseAsync(['controller-manager', '--kubeconfig', '/nonexistent/kc'], { from: 'user' }), cliError(/^kubeconfig "\/nonexistent\/kc" does not exist/));
  await assert.rejects(
    program().parseAsync(['controller-manager', '--cluster-signing-cert-file', '/nonexistent/ca.crt'], { from: 'user' }),
    cliError('give --cluster-signing-cert-file and --cluster-signing-key-file together'),
  );
  await assert.rejects(
    program().parseAsync(['controller-manager', '--cluster-signing-cert-file', '/nonexistent/ca.crt', '--cluster-signing-key-file', '/nonexistent/ca.key'], { from: 'user' }),
    cliError('cannot read --cluster-signing-cert-file "/nonexistent/ca.crt"'),
  );
  await assert.rejects(program().parseAsync(['scheduler', '--leader-elect-lease-duration', 'soon'], { from: 'user' }), cliError(/^invalid duration "soon"/));
});

it('server-components refuses to run without the server on the other end of an IPC channel', async () => {
  await assert.rejects(program().parseAsync(['server-components'], { from: 'user' }), cliError(/only as the child of `tkube server --components-process separate`/));
});
