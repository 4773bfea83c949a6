import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { FakeClock } from '../../base/clock/clock.js';
import { MemoryStorage } from '../../storage/memory/memory-storage.js';
import { lazyList, listJson } from '../negotiation/object-json.js';
import { encodeObject, metadataStart, storedObjectJson } from '../registry/stored-object.js';
import { CachedObject } from './cached-object.js';
import { SegmentTable } from './segment-table.js';
import { SegmentedValue } from './segmented-value.js';
import { WatchCache } from './watch-cache.js';
import type { WatchEvent } from './watch-event.js';

const PREFIX = '/registry/pods/';

/** A pod like one creator's: the same defaults and field sets, its own name, uid, volume name, IP and times. */
function pod(i: number, second = 7): KubeObject {
  const volume = `kube-api-access-${(i * 7919).toString(36).padStart(5, 'x')}`;
  const time = `2026-12-07T17:15:${String(second).padStart(2, '0')}Z`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `p${i}`,
      namespace: 'scale',
      uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
      labels: { app: 'scale' },
      managedFields: [
        {
          manager: 'bench',
          operation: 'Update',
          apiVersion: 'v1',
          time,
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:resources': { 'f:requests': { 'f:cpu': {}, 'f:memory': {} } } } }, 'f:volumes': { [`k:{"name":"${volume}"}`]: { '.': {}, 'f:name': {} } } } },
        },
      ],
    },
    spec: {
      containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } }, volumeMounts: [{ name: volume, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] }],
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      nodeName: `sim-${i % 3}`,
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: time }],
      podIP: `10.42.0.${i % 250}`,
      containerStatuses: [{ name: 'app', imageID: 'registry.k8s.io/pause@sha256:6f731803067f31e94ef5b69886fd237b34be5aba29183bbb1ba34b849077e1ca', state: { running: { startedAt: time } } }],
    },
  };
}

function segmentOf(table: SegmentTable, value: Uint8Array): Uint8Array | SegmentedValue {
  return table.segment(value, metadataStart(value));
}

function bytesOf(v: Uint8Array | SegmentedValue): Buffer {
  return v instanceof SegmentedValue ? v.bytes() : Buffer.from(v);
}

void describe('SegmentTable', () => {
  void it('gives back the same bytes, sharing the values a later object repeats', () => {
    const table = new SegmentTable();
    const first = encodeObject(pod(1));
    const alone = segmentOf(table, first);
    assert.ok(alone instanceof SegmentedValue && alone.sharedCount === 0, 'nothing is shared by the first object of its kind');
    assert.ok(alone.bytes().equals(Buffer.from(first)));
    const second = encodeObject(pod(2));
    const cut = segmentOf(table, second);
    assert.ok(cut instanceof SegmentedValue);
    assert.ok(bytesOf(cut).equals(Buffer.from(second)));
    assert.ok(cut.ownByteLength < second.length * 0.8, `own ${cut.ownByteLength} of ${second.length} bytes`);
    // copyTo at an offset, and parts() in order, give the same bytes.
    const target = Buffer.alloc(cut.byteLength + 10, 0x2e);
    cut.copyTo(target, 5);
    assert.ok(target.subarray(5, 5 + cut.byteLength).equals(Buffer.from(second)));
    assert.equal(target[4], 0x2e);
    assert.equal(target[5 + cut.byteLength], 0x2e);
    assert.ok(Buffer.concat(cut.parts()).equals(Buffer.from(second)));
    // A third object holds the very segments the second one does.
    const third = segmentOf(table, encodeObject(pod(3)));
    assert.ok(third instanceof SegmentedValue);
    const shared = new Set(cut.parts());
    assert.ok(third.parts().some((p) => shared.has(p)), 'segments are shared, not copied');
  });

  void it('does not share what only versions of one object repeat', () => {
    const table = new SegmentTable();
    const v1 = encodeObject(pod(1, 7));
    const v2 = encodeObject(pod(1, 8));
    table.segment(v1, metadataStart(v1), 'scale/p1');
    const again = table.segment(v2, metadataStart(v2), 'scale/p1');
    assert.ok(again instanceof SegmentedValue && again.sharedCount === 0, 'the same owner again: nothing shared');
    const other = table.segment(v2, metadataStart(v2), 'scale/p2');
    assert.ok(other instanceof SegmentedValue && other.sharedCount > 0, 'another owner with the same values shares them');
  });

  void it('splices segments at the start, at the end and side by side, at any offset of a larger target', () => {
    const table = new SegmentTable();
    const long = (tag: string): string => `${tag}-${'v'.repeat(40)}`;
    // Arrays first and last in the object, two shared values next to each other, short own pieces between them.
    const make = (i: number): Uint8Array => Buffer.from(JSON.stringify({ a: [long('first')], metadata: { name: `o${i}` }, b: long('b'), c: long('c'), own: i, z: [long('last')] }));
    for (let i = 0; i < 5; i++) {
      const value = make(i);
      const cut = table.segment(value, metadataStart(value), `o${i}`);
      assert.ok(cut instanceof SegmentedValue);
      if (i > 0) assert.equal(cut.sharedCount, 4, `object ${i}`);
      for (const offset of [0, 1, 17]) {
        const target = Buffer.alloc(offset + cut.byteLength + 3, 0x2e);
        cut.copyTo(target, offset);
        assert.ok(target.subarray(offset, offset + cut.byteLength).equals(Buffer.from(value)), `object ${i} at ${offset}`);
        assert.ok(target.subarray(0, offset).every((b) => b === 0x2e) && target.subarray(offset + cut.byteLength).every((b) => b === 0x2e));
      }
      assert.ok(Buffer.concat(cut.parts()).equals(Buffer.from(value)));
    }
  });

  void it('keeps escapes, non-ASCII text and long strings intact', () => {
    const table = new SegmentTable();
    const odd = (i: number): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `c${i}`, annotations: { note: 'quote " backslash \\ brace { bracket [ — ünïcødé ✓ 🚀', long: 'x'.repeat(100) } },
      data: { a: '{"not":"a container"}'.repeat(3), b: `line\nbreak ${i}`, nested: JSON.stringify({ deep: [[[{ x: 'é'.repeat(40) }]]] }) },
    });
    for (let i = 0; i < 4; i++) {
      const value = encodeObject(odd(i));
      assert.ok(bytesOf(segmentOf(table, value)).equals(Buffer.from(value)), `object ${i}`);
    }
  });

  void it('leaves values that are not JSON objects alone', () => {
    const table = new SegmentTable();
    for (const text of ['', 'null', '"just a string"', '{"unbalanced":[1,2}']) {
      const value = Buffer.from(text);
      assert.ok(bytesOf(segmentOf(table, value)).equals(value), text);
    }
  });

  void it('remembers at most two generations of values', () => {
    const table = new SegmentTable(16);
    for (let i = 0; i < 200; i++) segmentOf(table, encodeObject(pod(i, i % 60)));
    assert.ok(table.size <= 32, `size ${table.size}`);
  });
});

void describe('CachedObject with segments', () => {
  void it('writes the same JSON (copyJson, jsonParts) and decodes the same object as unsegmented bytes', () => {
    const table = new SegmentTable();
    segmentOf(table, encodeObject(pod(0)));
    for (let i = 1; i < 4; i++) {
      const value = encodeObject(pod(i));
      const plain = new CachedObject(`${PREFIX}scale/p${i}`, value, 40 + i);
      const cut = new CachedObject(`${PREFIX}scale/p${i}`, value, 40 + i, { segments: table });
      assert.ok(cut.stored instanceof SegmentedValue);
      const expected = storedObjectJson(value, 40 + i)!;
      assert.equal(cut.jsonByteLength(), expected.length);
      const target = Buffer.alloc(expected.length);
      cut.copyJson(target, 0);
      assert.ok(target.equals(expected), 'copyJson');
      assert.ok(Buffer.concat(cut.jsonParts()!).equals(expected), 'jsonParts');
      assert.deepEqual(cut.object(), plain.object());
      assert.ok(Buffer.from(cut.value).equals(Buffer.from(value)));
    }
  });

  void it('handles empty metadata and bytes without metadata', () => {
    const table = new SegmentTable();
    const big = { list: Array.from({ length: 5 }, (_, i) => ({ name: `item-${i % 2}`, value: 'v'.repeat(40) })) };
    for (const obj of [{ apiVersion: 'v1', kind: 'X', metadata: {}, ...big }, { apiVersion: 'v1', kind: 'X', ...big }]) {
      for (let round = 0; round < 2; round++) {
        const value = encodeObject(obj as KubeObject);
        const cut = new CachedObject('/registry/x/a', value, 9, { segments: table });
        const expected = storedObjectJson(value, 9);
        if (expected === undefined) {
          assert.equal(cut.jsonParts(), undefined);
          assert.equal(cut.jsonByteLength(), undefined);
          continue;
        }
        const target = Buffer.alloc(cut.jsonByteLength()!);
        cut.copyJson(target, 0);
        assert.ok(target.equals(expected));
        assert.ok(Buffer.concat(cut.jsonParts()!).equals(expected));
      }
    }
  });
});

void describe('a LIST body of segmented objects', () => {
  void it('is byte for byte the unsegmented one, in one Buffer or (over 1 MiB) in chunks', () => {
    const table = new SegmentTable();
    for (const count of [10, 1500]) {
      const plain: CachedObject[] = [];
      const cut: CachedObject[] = [];
      for (let i = 0; i < count; i++) {
        const value = encodeObject(pod(i, i % 3));
        plain.push(new CachedObject(`${PREFIX}scale/p${i}`, value, 1000 + i));
        cut.push(new CachedObject(`${PREFIX}scale/p${i}`, value, 1000 + i, { segments: table }));
      }
      const head = { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '5000' } };
      const expected = listJson(lazyList(head, plain));
      const got = listJson(lazyList(head, cut));
      if (count > 10) assert.ok(got.parts.length > 1, 'written in chunks');
      assert.ok(Buffer.concat(got.parts).equals(Buffer.concat(expected.parts)), `${count} items`);
      assert.equal(got.byteLength, expected.byteLength);
      assert.equal(JSON.parse(Buffer.concat(got.parts).toString()).items.length, count);
    }
  });
});

void describe('WatchCache with segments', () => {
  void it('lists and replays byte for byte what a cache without them does', async () => {
    const storage = new MemoryStorage();
    const clock = new FakeClock();
    const config = { storage, prefix: PREFIX, clock, kind: 'Pod', apiVersion: 'v1', recentObjects: 0 };
    const plain = new WatchCache(config);
    const cut = new WatchCache({ ...config, segments: new SegmentTable() });
    await storage.create(`${PREFIX}other/first`, encodeObject(pod(100)));
    await Promise.all([plain.ready(), cut.ready()]);
    const start = String(await storage.currentRevision());
    for (let i = 0; i < 20; i++) await storage.create(`${PREFIX}scale/p${i}`, encodeObject(pod(i)));
    for (let i = 0; i < 20; i += 2) {
      const key = `${PREFIX}scale/p${i}`;
      const current = await storage.get(key);
      const next = pod(i, 8);
      await storage.update(key, encodeObject(next), current!.modRevision);
    }
    await storage.delete(`${PREFIX}scale/p3`);
    const revision = await storage.currentRevision();
    const deadline = Date.now() + 5_000;
    while ((plain.revision < revision || cut.revision < revision) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    const listOf = async (cache: WatchCache): Promise<Buffer> => {
      const { entries, revision } = await cache.entries(PREFIX);
      return Buffer.concat(listJson(lazyList({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(revision) } }, entries)).parts);
    };
    assert.ok((await listOf(cut)).equals(await listOf(plain)));
    const replay = async (cache: WatchCache): Promise<WatchEvent[]> => {
      const watcher = await cache.watch({ prefix: PREFIX, resourceVersion: start });
      const events: WatchEvent[] = [];
      for (let i = 0; i < 31; i++) events.push((await watcher.next())!);
      watcher.close();
      return events;
    };
    assert.deepEqual(await replay(cut), await replay(plain));
    plain.stop();
    cut.stop();
  });
});
