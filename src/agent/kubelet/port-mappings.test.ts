/** sandboxPortMappings: hostPorts become the sandbox's port mappings; other ports publish nothing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sandboxPortMappings } from './port-mappings.js';

void describe('sandboxPortMappings', () => {
  void it('maps hostPorts only, TCP by default, each host port once', () => {
    assert.deepEqual(
      sandboxPortMappings({
        containers: [
          { ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 9090 }, { containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '192.0.2.2' }] },
          { ports: [{ containerPort: 81, hostPort: 8080 }] },
          {},
        ],
      }),
      [
        { protocol: 'TCP', containerPort: 80, hostPort: 8080 },
        { protocol: 'UDP', containerPort: 53, hostPort: 53, hostIP: '192.0.2.2' },
      ],
    );
    assert.deepEqual(sandboxPortMappings(undefined), []);
  });
});
