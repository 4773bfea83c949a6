import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LOCAL_PATH_FINALIZER } from '../../api/core/local-path.js';
import type { KubeObject } from '../../api/meta/types.js';
import { FakeClock } from '../../base/clock/clock.js';
import { newLogger } from '../../base/log/logger.js';
import { ApiError } from '../../client/api-error.js';
import type { ResourcePath } from '../../client/resource-path.js';
import { LocalPathReclaimer, pinnedNodes } from './local-path-reclaimer.js';

const tmp = mkdtempSync(join(tmpdir(), 'tkube-reclaim-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

class RecordingClient {
  readonly patches: { path: ResourcePath; body: unknown }[] = [];
  fail: ApiError | undefined;
  async patch(path: ResourcePath, _type: string, body: unknown): Promise<KubeObject> {
    this.patches.push({ path, body });
    if (this.fail) throw this.fail;
    return {};
  }
}

function volume(name: string, opts: { path: string; node?: string; deleting?: boolean; finalizers?: string[]; provisioner?: string; phase?: string }): KubeObject {
  return {
    metadata: {
      name,
      resourceVersion: '7',
      annotations: { 'pv.kubernetes.io/provisioned-by': opts.provisioner ?? 'tkube.io/local-path' },
      finalizers: opts.finalizers ?? ['kubernetes.io/pv-protection', LOCAL_PATH_FINALIZER],
      ...(opts.deleting === false ? {} : { deletionTimestamp: '2026-01-01T00:00:00Z' }),
    },
    spec: {
      hostPath: { path: opts.path, type: 'DirectoryOrCreate' },
      ...(opts.node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [opts.node] }] }] } } } : {}),
    },
    status: { phase: opts.phase ?? 'Released' },
  };
}

function setup(unpinnedVolumes = true): { base: string; client: RecordingClient; reclaimer: LocalPathReclaimer } {
  const base = mkdtempSync(join(tmp, 'base-'));
  const client = new RecordingClient();
  const reclaimer = new LocalPathReclaimer({ client: client as never, nodeNames: ['n1'], unpinnedVolumes, basePath: base, clock: new FakeClock(), log: newLogger('test') });
  return { base, client, reclaimer };
}

function dirWithData(path: string): string {
  mkdirSync(join(path, 'sub'), { recursive: true });
  writeFileSync(join(path, 'sub', 'f'), 'data');
  return path;
}

void describe('LocalPathReclaimer', () => {
  void it('removes a deleted volume\'s directory on its node, then only its own finalizer', async () => {
    const { base, client, reclaimer } = setup();
    const dir = dirWithData(join(base, 'pvc-1_ns_data'));
    const pv = volume('pvc-1', { path: dir, node: 'n1' });
    assert.equal(reclaimer.wants(pv), true);
    await reclaimer.reconcile(pv);
    assert.equal(existsSync(dir), false);
    assert.ok(existsSync(base), 'the base directory stays');
    assert.deepEqual(client.patches, [{ path: { version: 'v1', resource: 'persistentvolumes', name: 'pvc-1' }, body: { metadata: { resourceVersion: '7', finalizers: ['kubernetes.io/pv-protection'] } } }]);
  });

  void it('takes only deleted local-path volumes with its finalizer, pinned to its node (or to none when told)', () => {
    const { base, reclaimer } = setup();
    const path = join(base, 'pvc-x');
    assert.equal(reclaimer.wants(volume('a', { path, node: 'n2' })), false, 'another node\'s');
    assert.equal(reclaimer.wants(volume('b', { path, node: 'n1', deleting: false })), false, 'not being deleted');
    assert.equal(reclaimer.wants(volume('c', { path, node: 'n1', finalizers: ['kubernetes.io/pv-protection'] })), false, 'finalizer already gone');
    assert.equal(reclaimer.wants(volume('d', { path, node: 'n1', provisioner: 'example.com/nfs' })), false, 'another provisioner\'s');
    assert.equal(reclaimer.wants(volume('g', { path, node: 'n1', phase: 'Bound' })), false, 'deleted while its claim still exists');
    assert.equal(reclaimer.wants(volume('h', { path, node: 'n1', phase: 'Available' })), true, 'never claimed');
    assert.equal(reclaimer.wants(volume('e', { path })), true, 'pinned to no node');
    assert.equal(setup(false).reclaimer.wants(volume('e', { path })), false, 'pinned to no node, not taken');
    assert.deepEqual(pinnedNodes(volume('f', { path, node: 'n9' })), ['n9']);
  });

  void it('leaves a directory outside the storage base in place but still releases the volume', async () => {
    const { base, client, reclaimer } = setup();
    const outside = dirWithData(join(tmp, 'pvc-outside'));
    const notProvisioned = dirWithData(join(base, 'precious'));
    const nested = dirWithData(join(base, 'pvc-a', 'pvc-b'));
    for (const [i, path] of [outside, notProvisioned, nested, join(base, 'pvc-1', '..', '..')].entries()) await reclaimer.reconcile(volume(`v${i}`, { path, node: 'n1' }));
    for (const d of [outside, notProvisioned, nested]) assert.ok(existsSync(join(d, 'sub', 'f')), d);
    assert.equal(client.patches.length, 4);
  });

  void it('treats a volume already gone as done and retries other patch failures', async () => {
    const { base, client, reclaimer } = setup();
    client.fail = new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 404, reason: 'NotFound', message: 'gone' } as never);
    await reclaimer.reconcile(volume('pvc-2', { path: join(base, 'pvc-2'), node: 'n1' }));
    client.fail = new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 409, reason: 'Conflict', message: 'modified' } as never);
    await assert.rejects(reclaimer.reconcile(volume('pvc-3', { path: dirWithData(join(base, 'pvc-3')), node: 'n1' })), /modified/);
    assert.equal(existsSync(join(base, 'pvc-3')), false, 'the directory went before the patch failed; the retry finds nothing to remove');
  });
});
