import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ContainerConfig, PodSandboxConfig } from '../cri/runtime-service.js';
import { isRuntimeNotFound } from '../cri/runtime-service.js';
import { containerRecordMatches, RuntimeRecords, sandboxRecordMatches, type ContainerRecordBase, type SandboxRecordBase } from './runtime-records.js';

interface Sandbox extends SandboxRecordBase {
  note: string;
}
interface Container extends ContainerRecordBase {
  startedAt: number;
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function root(): string {
  const d = mkdtempSync(join(tmpdir(), 'tkube-records-'));
  dirs.push(d);
  return d;
}

function sandboxConfig(uid: string, labels: Record<string, string> = {}): PodSandboxConfig {
  return { metadata: { name: `p-${uid}`, namespace: 'default', uid, attempt: 0 }, hostname: 'h', logDirectory: '/tmp', portMappings: [], labels, annotations: {} };
}

function containerConfig(name: string, labels: Record<string, string> = {}): ContainerConfig {
  return { metadata: { name, attempt: 0 }, image: 'busybox', command: [], args: [], envs: [], mounts: [], labels, annotations: {}, logPath: `${name}/0.log` };
}

void describe('RuntimeRecords', () => {
  void it('sees its own saves at once and another instance\'s adds and removes, reading the directory only when it changed', async () => {
    const dir = root();
    const a = new RuntimeRecords<Sandbox, Container>(dir);
    const b = new RuntimeRecords<Sandbox, Container>(dir);
    a.saveContainer({ id: 'c1', sandboxId: 's1', config: containerConfig('one'), startedAt: 0 });
    assert.deepEqual(a.containers().map((c) => c.id), ['c1']);
    assert.deepEqual(b.containers().map((c) => c.id), ['c1']);
    // Past the mtime's settling time, so b's listing is one it may reuse; a's changes still reach it.
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(b.containers().map((c) => c.id), ['c1']);
    a.saveContainer({ id: 'c2', sandboxId: 's1', config: containerConfig('two'), startedAt: 0 });
    assert.deepEqual(b.containers().map((c) => c.id).sort(), ['c1', 'c2']);
    a.removeContainerDir('c1');
    assert.deepEqual(b.containers().map((c) => c.id), ['c2']);
    b.saveContainer({ id: 'c3', sandboxId: 's1', config: containerConfig('three'), startedAt: 0 });
    assert.deepEqual(b.containers().map((c) => c.id).sort(), ['c2', 'c3']);
    await Promise.all([a.settled(), b.settled()]);
  });

  void it('removes a record and its directory at once for lists and lookups, the files in the background', async () => {
    const dir = root();
    // What a killed agent left half-deleted goes when the next instance starts.
    mkdirSync(join(dir, 'removing', 'old', 'deep'), { recursive: true });
    const records = new RuntimeRecords<Sandbox, Container>(dir);
    records.saveSandbox({ id: 's1', config: sandboxConfig('u1'), state: 'SANDBOX_READY', note: 'a' });
    records.saveContainer({ id: 'c1', sandboxId: 's1', config: containerConfig('web'), startedAt: 0 });
    mkdirSync(join(records.containerDir('c1'), 'rootfs', 'usr'), { recursive: true });
    writeFileSync(join(records.containerDir('c1'), 'rootfs', 'usr', 'f'), 'x');
    records.removeContainerDir('c1');
    records.removeSandboxDir('s1');
    assert.equal(existsSync(records.containerDir('c1')), false);
    assert.equal(existsSync(records.sandboxDir('s1')), false);
    assert.deepEqual(records.containers(), []);
    assert.deepEqual(records.sandboxes(), []);
    assert.equal(records.findSandbox('s1'), undefined);
    assert.throws(() => records.container('c1'), isRuntimeNotFound);
    // Removing what is not there is a no-op.
    records.removeContainerDir('c1');
    await records.settled();
    assert.deepEqual(readdirSync(join(dir, 'removing')), []);
  });

  void it('lists from memory, hands out copies of single records, and keeps a change only once saved', () => {
    const records = new RuntimeRecords<Sandbox, Container>(root());
    records.saveSandbox({ id: 's1', config: sandboxConfig('u1'), state: 'SANDBOX_READY', note: 'a' });
    records.saveContainer({ id: 'c1', sandboxId: 's1', config: containerConfig('web'), startedAt: 0 });
    const copy = records.container('c1');
    copy.startedAt = 42;
    assert.equal(records.containers()[0]?.startedAt, 0, 'an unsaved change is not seen');
    records.saveContainer(copy);
    assert.equal(records.containers()[0]?.startedAt, 42);
    copy.startedAt = 43;
    assert.equal(records.container('c1').startedAt, 42, 'the saved record is not the caller object');
    assert.deepEqual(
      records.containersOf('s1').map((c) => c.id),
      ['c1'],
    );
    assert.equal(records.findSandbox('s1')?.note, 'a');
  });

  void it('sees records another instance over the same root added or removed', () => {
    const dir = root();
    const one = new RuntimeRecords<Sandbox, Container>(dir);
    const two = new RuntimeRecords<Sandbox, Container>(dir);
    one.saveSandbox({ id: 's1', config: sandboxConfig('u1'), state: 'SANDBOX_READY', note: '' });
    one.saveContainer({ id: 'c1', sandboxId: 's1', config: containerConfig('web'), startedAt: 1 });
    assert.deepEqual(
      one.sandboxes().map((s) => s.id),
      ['s1'],
    );
    two.saveContainer({ id: 'c2', sandboxId: 's1', config: containerConfig('side'), startedAt: 2 });
    assert.deepEqual(one.containers().map((c) => c.id).sort(), ['c1', 'c2']);
    rmSync(two.containerDir('c1'), { recursive: true, force: true });
    rmSync(two.sandboxDir('s1'), { recursive: true, force: true });
    assert.deepEqual(
      one.containers().map((c) => c.id),
      ['c2'],
    );
    assert.deepEqual(one.sandboxes(), []);
    assert.throws(() => one.container('c1'), isRuntimeNotFound);
    assert.equal(one.findSandbox('s1'), undefined);
  });

  void it('skips a directory without a readable record, and reads it once the record is there', () => {
    const dir = root();
    const records = new RuntimeRecords<Sandbox, Container>(dir);
    records.saveContainer({ id: 'c1', sandboxId: 's1', config: containerConfig('web'), startedAt: 0 });
    rmSync(join(records.containerDir('c1'), 'container.json'));
    const other = new RuntimeRecords<Sandbox, Container>(dir);
    assert.deepEqual(other.containers(), []);
    records.saveContainer({ id: 'c1', sandboxId: 's1', config: containerConfig('web'), startedAt: 5 });
    assert.equal(other.containers()[0]?.startedAt, 5);
  });

  void it('filters records by ID, sandbox, state and labels before any status is worked out', () => {
    const c: Container = { id: 'c1', sandboxId: 's1', config: containerConfig('web', { app: 'a', tier: 'web' }), startedAt: 0 };
    assert.equal(containerRecordMatches(c, {}), true);
    assert.equal(containerRecordMatches(c, { sandboxId: 's1', labelSelector: { app: 'a' } }), true);
    assert.equal(containerRecordMatches(c, { sandboxId: 's2' }), false);
    assert.equal(containerRecordMatches(c, { id: 'c2' }), false);
    assert.equal(containerRecordMatches(c, { labelSelector: { app: 'b' } }), false);
    const s: Sandbox = { id: 's1', config: sandboxConfig('u1', { uid: 'u1' }), state: 'SANDBOX_NOTREADY', note: '' };
    assert.equal(sandboxRecordMatches(s, { labelSelector: { uid: 'u1' } }), true);
    assert.equal(sandboxRecordMatches(s, { state: 'SANDBOX_READY' }), false);
    assert.equal(sandboxRecordMatches(s, { id: 's2' }), false);
  });
});
