import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { StatusError } from '../../api/meta/status-error.js';
import { newAdmissionAttributes } from './admission-attributes.js';
import { KubeDirectorClusterAdmission } from './kubedirector-cluster.js';
import { MemoryObjectReader } from './memory-object-reader.js';

const app = (group: string): KubeObject => ({
  metadata: { name: 'kd-hello', namespace: 'ns' },
  spec: { roles: [{ id: 'controller', cardinality: '1' }, { id: 'worker', cardinality: '0+' }], config: { selectedRoles: ['controller', 'worker'], roleServices: [] }, label: { name: group } },
});

const cluster = (roles: Record<string, unknown>[], appName = 'kd-hello'): KubeObject => ({ metadata: { name: 'c', namespace: 'ns' }, spec: { app: appName, roles } });

const attrs = (group: string, version: string, object: KubeObject, subresource = ''): ReturnType<typeof newAdmissionAttributes> =>
  newAdmissionAttributes({ operation: 'CREATE', group, version, resource: 'kubedirectorclusters', subresource, namespace: 'ns', object });

async function refusal(p: Promise<void>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StatusError);
    assert.equal(err.status.code, 403);
    return err.status.message ?? '';
  }
  assert.fail('admitted');
}

void describe('KubeDirectorCluster admission', () => {
  const reader = new MemoryObjectReader().add('kubedirector.hpe.com', 'kubedirectorapps', app('beta')).add('kubedirector.bluedata.io', 'kubedirectorapps', app('alpha'));
  const plugin = new KubeDirectorClusterAdmission(reader);

  void it('admits valid clusters of both groups (members and replicas) and handles only their clusters', async () => {
    await plugin.validate(attrs('kubedirector.hpe.com', 'v1beta1', cluster([{ id: 'controller', members: 1 }, { id: 'worker', members: 7 }])));
    await plugin.validate(attrs('kubedirector.bluedata.io', 'v1alpha1', cluster([{ id: 'controller', replicas: 1 }])));
    assert.equal(plugin.handles(attrs('kubedirector.hpe.com', 'v1beta1', cluster([]), 'status')), false);
    assert.equal(plugin.handles(attrs('example.com', 'v1', cluster([]))), false);
    assert.equal(plugin.handles(newAdmissionAttributes({ operation: 'DELETE', group: 'kubedirector.hpe.com', resource: 'kubedirectorclusters' })), false);
  });

  void it('refuses with 403 and KubeDirector\'s messages', async () => {
    assert.equal(
      await refusal(plugin.validate(attrs('kubedirector.hpe.com', 'v1beta1', cluster([{ id: 'controller' }], 'spark')))),
      'kubedirectorclusters.kubedirector.hpe.com "c" is forbidden: Invalid app(spark). This app resource ID has not been registered.',
    );
    assert.equal(
      await refusal(plugin.validate(attrs('kubedirector.bluedata.io', 'v1alpha1', cluster([{ id: 'controller', replicas: 3 }])))),
      'kubedirectorclusters.kubedirector.bluedata.io "c" is forbidden: Invalid member count for role(controller). Specified member count:3 Role cardinality:1',
    );
    assert.match(await refusal(plugin.validate(attrs('kubedirector.hpe.com', 'v1beta1', cluster([{ id: 'controller' }, { id: 'edge' }])))), /Invalid role\(edge\) in app\(kd-hello\) specified\. Valid roles: "controller,worker"$/);
  });
});
