import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { clusterTokenFor, controlPlaneJoinLines } from './init.js';

const HASH = 'sha256:' + 'ab'.repeat(32);

void describe('tkube init for several servers', () => {
  void it('makes a cluster secret for --cluster-init, keeps it 0600 in the data dir, and reuses it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tkube-init-'));
    try {
      const made = clusterTokenFor({ dataDir, clusterInit: true });
      assert.match(made ?? '', /^[0-9a-f]{48}$/);
      const path = join(dataDir, 'cred', 'cluster-token');
      assert.equal(readFileSync(path, 'utf8').trim(), made);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      // A second init (printing again) finds it; a given --token wins.
      assert.equal(clusterTokenFor({ dataDir, clusterInit: true }), made);
      assert.equal(clusterTokenFor({ dataDir, clusterInit: true, token: 'mine' }), 'mine');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  void it('makes no secret for a single server', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tkube-init-'));
    try {
      assert.equal(clusterTokenFor({ dataDir, clusterInit: false }), undefined);
      assert.equal(clusterTokenFor({ dataDir, clusterInit: false, datastoreEndpoint: 'sqlite:///x.db' }), undefined);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  void it('prints a --control-plane join for servers with their own etcd member', () => {
    const lines = controlPlaneJoinLines({ clusterInit: true }, 'S3CRET', 'https://10.0.0.1:6443', HASH);
    assert.deepEqual(lines, ['tkube join https://10.0.0.1:6443 --control-plane --token S3CRET \\', `\t--discovery-token-ca-cert-hash ${HASH}`]);
    assert.deepEqual(controlPlaneJoinLines({ clusterInit: false, server: 'https://10.0.0.1:6443' }, 'S3CRET', 'https://10.0.0.2:6443', HASH)[0], 'tkube join https://10.0.0.2:6443 --control-plane --token S3CRET \\');
  });

  void it('prints an init on the same datastore for servers on an external etcd', () => {
    assert.deepEqual(controlPlaneJoinLines({ clusterInit: false, datastoreEndpoint: 'https://e1:2379,https://e2:2379' }, 'T', 'https://10.0.0.1:6443', HASH), ['tkube init --datastore-endpoint https://e1:2379,https://e2:2379 --token T']);
    const tls = controlPlaneJoinLines({ clusterInit: false, datastoreEndpoint: 'https://e1:2379', datastoreCafile: '/etc/etcd/ca.crt' }, 'T', 'https://10.0.0.1:6443', HASH);
    assert.deepEqual(tls, ['tkube init --datastore-endpoint https://e1:2379 --token T \\', '\t--datastore-cafile /etc/etcd/ca.crt']);
  });

  void it('prints nothing for a single server or without a secret', () => {
    assert.deepEqual(controlPlaneJoinLines({ clusterInit: false }, 'T', 'https://10.0.0.1:6443', HASH), []);
    assert.deepEqual(controlPlaneJoinLines({ clusterInit: true }, undefined, 'https://10.0.0.1:6443', HASH), []);
  });
});
