/**
 * Image pulls on a real runc node with real kubectl: a local registry (our RegistryServer over a store of its
 * own, with Basic auth, on loopback) serves an image the node does not have. Without credentials the pod goes
 * ErrImagePull → ImagePullBackOff with upstream's events; with a `kubectl create secret docker-registry` pull
 * secret it runs; `imagePullPolicy: Never` for an absent image is ErrImageNeverPull; `busybox:latest` (policy
 * Always) runs offline from the present copy.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxLayer } from '../../src/agent/images/builtin-images.js';
import { OciImageStore } from '../../src/agent/images/oci-image-store.js';
import { RegistryServer } from '../../src/agent/images/registry-server.js';
import { containerHostMissing } from '../harness/host-tools.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();

interface PodJson {
  status?: { phase?: string; containerStatuses?: { state: { waiting?: { reason: string; message?: string } } }[] };
}

void describe('image pulls from a registry', { skip }, () => {
  let c: TestCluster;
  let registry: RegistryServer;
  let host = '';
  const dir = mkdtempSync(join(tmpdir(), 'tkube-pull-'));
  const node = `tkube-pull-${process.pid}`;

  before(async () => {
    const store = new OciImageStore({ root: join(dir, 'registry') });
    const layer = await busyboxLayer();
    const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
    const config = { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin:/usr/bin:/sbin:/usr/sbin'], Cmd: ['sh', '-c', 'echo from-registry; sleep 3600'] }, rootfs: { type: 'layers', diff_ids: [diffId] } };
    store.addImage(Buffer.from(JSON.stringify(config)), [layer], ['docker.io/demo/app:v1']);
    registry = new RegistryServer({ store, basicAuth: { username: 'ci', password: 'pull-me' } });
    host = new URL(await registry.start()).host;
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node] });
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
  });
  after(async () => {
    if (c) {
      await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
      await cleanupRuncNode(c);
    }
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const pod = async (name: string): Promise<PodJson> => JSON.parse(await c.kubectlOk(['get', 'pod', name, '-o', 'json'])) as PodJson;
  const waitingReason = async (name: string): Promise<string | undefined> => (await pod(name)).status?.containerStatuses?.[0]?.state.waiting?.reason;

  void it('backs off a pull the registry refuses, and pulls with a docker-registry secret', async () => {
    const image = `${host}/demo/app:v1`;
    await c.kubectlOk(['run', 'denied', `--image=${image}`]);
    await eventually(async () => ((await waitingReason('denied')) === 'ImagePullBackOff' ? true : undefined), 60_000);
    const events = await c.kubectlOk(['get', 'events', '--field-selector', 'involvedObject.name=denied', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    assert.match(events, new RegExp(`Pulling: Pulling image "${image}"`));
    assert.match(events, /Failed: Failed to pull image ".*": pull access denied/);
    assert.match(events, /BackOff: Back-off pulling image/);

    await c.kubectlOk(['create', 'secret', 'docker-registry', 'regcred', `--docker-server=${host}`, '--docker-username=ci', '--docker-password=pull-me']);
    await c.kubectlOk(['run', 'allowed', `--image=${image}`, '--overrides', JSON.stringify({ spec: { imagePullSecrets: [{ name: 'regcred' }] } })]);
    await eventually(async () => ((await pod('allowed')).status?.phase === 'Running' ? true : undefined), 60_000);
    await eventually(async () => ((await c.kubectlOk(['logs', 'allowed'])) === 'from-registry\n' ? true : undefined), 30_000);
    assert.match(await c.kubectlOk(['get', 'events', '--field-selector', 'involvedObject.name=allowed,reason=Pulled', '-o', 'jsonpath={.items[*].message}']), /Successfully pulled image/);
  });

  void it('refuses an absent image with pull policy Never, and runs busybox:latest offline', async () => {
    await c.kubectlOk(['run', 'never', '--image=example.invalid/none:1', '--image-pull-policy=Never']);
    await eventually(async () => ((await waitingReason('never')) === 'ErrImageNeverPull' ? true : undefined), 60_000);
    // busybox:latest defaults to policy Always; with no registry reachable the present copy runs.
    await c.kubectlOk(['run', 'offline', '--image=busybox:latest', '--', 'sleep', '3600']);
    await eventually(async () => ((await pod('offline')).status?.phase === 'Running' ? true : undefined), 60_000);
  });
});
