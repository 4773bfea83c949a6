import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { mergeIntoKubeconfig, readKubeconfig, removeFromKubeconfig, writeKubeconfig } from './kubeconfig.js';

const entry = { name: 'tkube', server: 'https://127.0.0.1:6443', caPem: 'CA', clientCertPem: 'CERT', clientKeyPem: 'KEY' };

describe('kubeconfig files', () => {
  it('writeKubeconfig() writes a 0600 file with cluster, user and context', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-kc-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const p = join(dir, 'admin.kubeconfig');
    writeKubeconfig(p, entry);
    assert.equal(statSync(p).mode & 0o777, 0o600);
    const kc = readKubeconfig(p);
    assert.equal(kc['current-context'], 'tkube');
    assert.deepEqual(kc.clusters[0], { name: 'tkube', cluster: { server: entry.server, 'certificate-authority-data': Buffer.from('CA').toString('base64') } });
  });

  it('mergeIntoKubeconfig() keeps other entries, replaces ours, and removeFromKubeconfig() undoes it', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-kc-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const p = join(dir, 'config');
    writeFileSync(p, 'apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster: {server: "https://x"}\nusers: []\ncontexts:\n- name: other\n  context: {cluster: other, user: other}\ncurrent-context: other\n');
    mergeIntoKubeconfig(p, entry);
    mergeIntoKubeconfig(p, { ...entry, server: 'https://127.0.0.1:7443' });
    const kc = parse(readFileSync(p, 'utf8')) as { clusters: { name: string; cluster: { server: string } }[]; 'current-context': string };
    assert.deepEqual(kc.clusters.map((c) => c.name), ['other', 'tkube']);
    assert.equal(kc.clusters[1]?.cluster.server, 'https://127.0.0.1:7443');
    assert.equal(kc['current-context'], 'tkube');
    assert.equal(removeFromKubeconfig(p, 'tkube'), true);
    const after = readKubeconfig(p);
    assert.deepEqual(after.clusters.map((c) => c.name), ['other']);
    assert.equal(after['current-context'], '');
  });
});
