import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveProxyMode } from './node.js';

void describe('resolveProxyMode', () => {
  const root = process.getuid?.() === 0;
  void it('keeps what was asked for (the kernel modes only as root)', () => {
    assert.equal(resolveProxyMode('none', 'cri', false), 'none');
    assert.equal(resolveProxyMode('userspace', 'runc', true), 'userspace');
    if (root) assert.equal(resolveProxyMode('iptables', 'process', false), 'iptables');
    else assert.throws(() => resolveProxyMode('nftables', 'runc', true), /needs root/);
  });
  void it('defaults: nftables for bridged runc and, as root, for CRI nodes; userspace for the process runtime', () => {
    assert.equal(resolveProxyMode(undefined, 'process', false), 'userspace');
    assert.equal(resolveProxyMode(undefined, 'cri', false), root ? 'nftables' : 'none');
    assert.equal(resolveProxyMode(undefined, 'containerd', false), root ? 'nftables' : 'none');
    assert.equal(resolveProxyMode(undefined, 'runc', false), 'none');
    if (root) assert.equal(resolveProxyMode(undefined, 'runc', true), 'nftables');
  });
});
