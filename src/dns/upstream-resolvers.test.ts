import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hostUpstreams, parseNameservers } from './upstream-resolvers.js';

describe('upstream resolvers', () => {
  it('reads nameserver lines, ignoring comments and junk', () => {
    const text = '# generated\nnameserver 192.0.2.53\nnameserver not-an-ip\nsearch example.test\n; nameserver 192.0.2.99\nnameserver fe80::1%eth0\n  nameserver   198.51.100.1  # trailing\n';
    assert.deepEqual(parseNameservers(text), ['192.0.2.53', 'fe80::1%eth0', '198.51.100.1']);
  });

  it('skips the cluster DNS address and the server itself, and copes with a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-resolv-'));
    try {
      const path = join(dir, 'resolv.conf');
      writeFileSync(path, 'nameserver 10.43.0.10\nnameserver 127.0.0.1\nnameserver 192.0.2.53\n');
      assert.deepEqual(hostUpstreams(['10.43.0.10', '127.0.0.1'], path), [{ host: '192.0.2.53', port: 53 }]);
      assert.deepEqual(hostUpstreams([], join(dir, 'missing')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
