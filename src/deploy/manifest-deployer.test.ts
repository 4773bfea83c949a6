import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readManifests } from './manifest-deployer.js';

void describe('readManifests()', () => {
  void it('reads YAML and JSON files in name order, lists and multi-document files, and reports what it cannot use', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-manifests-'));
    try {
      writeFileSync(join(dir, 'b.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b1}\n---\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b2}}\n');
      writeFileSync(join(dir, 'a.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'a' } }));
      writeFileSync(join(dir, 'c.yml'), 'kind: ConfigMap\nmetadata: {name: c}\n---\nmetadata: {name: [\n');
      writeFileSync(join(dir, 'notes.txt'), 'not a manifest');
      writeFileSync(join(dir, '.hidden.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hidden}\n');
      const { manifests, failed } = readManifests(dir);
      assert.deepEqual(manifests.map((m) => `${m.file}:${m.obj.metadata?.name ?? ''}`), ['a.json:a', 'b.yaml:b1', 'b.yaml:b2']);
      assert.equal(failed.length, 2, failed.join('\n'));
      assert.match(failed[0] ?? '', /^c\.yml: an object without apiVersion, kind or metadata\.name$/);
      assert.match(failed[1] ?? '', /^c\.yml: /);
      assert.deepEqual(readManifests(join(dir, 'missing')), { manifests: [], failed: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
