/**
 * The command lines of `tkube logs` (against a fake data dir: the files `tkube up` and `tkube join` write),
 * `tkube install-service` (writing into a temporary unit dir; nothing is enabled or started) and `tkube convert`:
 * the real CLI, run as a process, no cluster. The logic behind them has unit tests beside it (component-logs,
 * systemd-unit, v1beta1-convert); here each command runs once or twice, independent runs side by side.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually, REPO_ROOT, runCommand } from '../harness/test-cluster.js';

const MAIN = join(REPO_ROOT, 'src/cli/main.ts');
const tkube = (args: readonly string[], input?: string): ReturnType<typeof runCommand> =>
  runCommand(process.execPath, ['--import', 'tsx', MAIN, ...args], { timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });

const dir = mkdtempSync(join(tmpdir(), 'tkube-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

void describe('tkube logs', () => {
  const dataDir = join(dir, 'data');
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  writeFileSync(join(dataDir, 'logs', 'server.log'), 's1\ns2\ns3\n');

  void it('prints the last lines of each log, prefixed by component, and says where it looked when there is none', async () => {
    const emptyDir = join(dir, 'empty');
    writeFileSync(join(dataDir, 'logs', 'agent.log'), 'a1\n');
    const [both, none, bad] = await Promise.all([tkube(['logs', '--tail', '2', '--data-dir', dataDir]), tkube(['logs', 'agent', '--data-dir', emptyDir]), tkube(['logs', 'kubelet', '--data-dir', dataDir])]);
    assert.deepEqual(both, { code: 0, stdout: '[server] s2\n[server] s3\n[agent] a1\n', stderr: '' });
    assert.equal(none.code, 1);
    assert.equal(none.stderr, `tkube: no log at ${join(emptyDir, 'logs', 'agent.log')}: start the cluster with "tkube up" (or a node with "tkube join"), or pass --data-dir\n`);
    assert.deepEqual([bad.code, bad.stderr], [1, 'tkube: unknown component "kubelet": want server, agent or all\n']);
  });

  void it('follows one log with -f until interrupted', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'logs', 'server', '-f', '--tail', '1', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await eventually(() => out === 's3\n', 30_000);
      appendFileSync(join(dataDir, 'logs', 'server.log'), 's4\ns5\n');
      await eventually(() => out === 's3\ns4\ns5\n', 20_000);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0);
  });
});

void describe('tkube install-service', () => {
  void it('prints the unit with --dry-run and writes it into the unit dir, enabling nothing', async () => {
    const dataDir = join(dir, 'svc data');
    const unitDir = join(dir, 'units');
    const path = join(unitDir, 'tkube.service');
    const flags = ['--data-dir', dataDir, '--', '--container-runtime', 'runc'];
    const [dry, wrote] = await Promise.all([tkube(['install-service', '--dry-run', ...flags]), tkube(['install-service', '--unit-dir', unitDir, ...flags])]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^\[Unit\]\n[^]*\nWantedBy=multi-user.target\n$/);
    const execStart = /\nExecStart=(.*)\n/.exec(dry.stdout)?.[1] ?? '';
    assert.ok(execStart.startsWith(`${process.execPath} `), execStart);
    assert.ok(execStart.endsWith(` ${MAIN} server --data-dir "${dataDir}" --container-runtime runc`), execStart);
    assert.equal(wrote.code, 0, wrote.stderr);
    assert.equal(wrote.stdout, `Wrote ${path}\nTo start tkube now and at every boot:\n  systemctl daemon-reload\n  systemctl enable --now tkube\n`);
    assert.equal(readFileSync(path, 'utf8'), dry.stdout);
    assert.equal(statSync(path).mode & 0o777, 0o644);
    // A different unit does not silently replace the one there.
    const differs = await tkube(['install-service', '--unit-dir', unitDir, '--data-dir', dataDir]);
    assert.deepEqual([differs.code, differs.stderr], [1, `tkube: ${path} exists and differs: pass --force to replace it, or --dry-run to see the new unit\n`]);
    assert.equal(readFileSync(path, 'utf8'), dry.stdout);
  });
});

void describe('tkube convert', () => {
  void it('converts stdin to JSON naming dropped fields on stderr, and refuses kinds it does not know', async () => {
    const pod = JSON.stringify({ kind: 'Pod', apiVersion: 'v1beta1', id: 'p', extra: 1, desiredState: { manifest: { containers: [{ name: 'c', image: 'busybox' }] } } });
    const [json, yaml, wrongKind] = await Promise.all([
      tkube(['convert', '-f', '-', '-o', 'json'], pod),
      tkube(['convert', '-f', join(REPO_ROOT, 'examples/jenkins/jenkins-service.json')]),
      tkube(['convert', '-f', '-'], '{"kind": "Minion", "apiVersion": "v1beta1", "id": "m"}'),
    ]);
    assert.equal(json.code, 0);
    assert.deepEqual(JSON.parse(json.stdout), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    assert.equal(json.stderr, 'Warning: Pod "p": extra: not a v1beta1 field tkube converts; dropped\n');
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.match(yaml.stdout, /^apiVersion: v1\nkind: Service\nmetadata:\n {2}name: jenkins\n[^]*\n {2}type: LoadBalancer\n$/);
    assert.deepEqual([wrongKind.code, wrongKind.stdout, wrongKind.stderr], [1, '', 'tkube: Minion "m": kind "Minion" is not one tkube converts from v1beta1 (Pod, Service, ReplicationController)\n']);
  });
});
