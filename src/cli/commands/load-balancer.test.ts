import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CliError } from '../cli-error.js';
import { parseListen, parseServerUrl } from './load-balancer.js';

void describe('tkube load-balancer flags', () => {
  void it('reads --listen as IP:PORT, IPv6 in brackets', () => {
    assert.deepEqual(parseListen('127.0.0.1:6443'), { host: '127.0.0.1', port: 6443 });
    assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
    for (const bad of ['localhost:6443', '127.0.0.1', '127.0.0.1:70000', '::1:6443', '']) assert.throws(() => parseListen(bad), CliError, bad);
  });

  void it('wants https server URLs', () => {
    assert.equal(parseServerUrl('https://10.0.0.1:6443'), 'https://10.0.0.1:6443');
    for (const bad of ['http://10.0.0.1:6443', '10.0.0.1:6443', 'https://']) assert.throws(() => parseServerUrl(bad), CliError, bad);
  });
});
