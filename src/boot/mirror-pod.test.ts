import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../api/meta/types.js';
import { FakeClock } from '../base/clock/clock.js';
import { newLogger } from '../base/log/logger.js';
import { ApiError } from '../client/api-error.js';
import type { ResourcePath } from '../client/resource-path.js';
import type { RestClient } from '../client/rest-client.js';
import { MirrorPodPublisher } from './mirror-pod.js';

interface Pod extends KubeObject {
  spec?: { containers?: { ports?: { containerPort: number }[] }[] };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

/** An in-memory pods API: just what the publisher calls. */
function fakePods(): { client: RestClient; pods: Map<string, Pod>; calls: string[] } {
  const pods = new Map<string, Pod>();
  const calls: string[] = [];
  let uid = 0;
  const notFound = (name: string): ApiError => new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 404, reason: 'NotFound', message: `pods "${name}" not found` });
  const client = {
    get: async (p: ResourcePath) => {
      calls.push('get');
      const pod = pods.get(p.name ?? '');
      if (!pod) throw notFound(p.name ?? '');
      return structuredClone(pod);
    },
    create: async (_p: ResourcePath, body: Pod) => {
      calls.push('create');
      const pod = { ...structuredClone(body), metadata: { ...body.metadata, uid: `uid-${++uid}` }, status: { phase: 'Pending' } };
      pods.set(pod.metadata.name ?? '', pod);
      return structuredClone(pod);
    },
    patch: async (p: ResourcePath, _type: string, body: { status: Pod['status'] }) => {
      calls.push(`patch ${p.subresource ?? ''}`);
      const pod = pods.get(p.name ?? '');
      if (!pod) throw notFound(p.name ?? '');
      pod.status = body.status;
      return structuredClone(pod);
    },
    delete: async (p: ResourcePath) => {
      calls.push('delete');
      if (!pods.delete(p.name ?? '')) throw notFound(p.name ?? '');
      return {};
    },
  };
  return { client: client as unknown as RestClient, pods, calls };
}

const config = (client: RestClient, port: number) => ({
  client,
  namespace: 'kube-system',
  name: 'kube-dns-n1',
  nodeName: 'n1',
  nodeIP: '192.0.2.7',
  labels: { 'k8s-app': 'kube-dns' },
  containers: [{ name: 'dns', image: 'tkube/cluster-dns:test', ports: [{ name: 'dns', containerPort: port, protocol: 'UDP' as const }] }],
  clock: new FakeClock(),
  log: newLogger('test'),
});

describe('MirrorPodPublisher', () => {
  it('creates the mirror pod, marks it Running and Ready with the node IP, then leaves it alone', async () => {
    const { client, pods, calls } = fakePods();
    const p = new MirrorPodPublisher(config(client, 5353));
    await p.sync();
    const pod = pods.get('kube-dns-n1');
    assert.ok(pod);
    assert.ok(pod.metadata?.annotations?.['kubernetes.io/config.mirror']);
    assert.equal(pod.status?.phase, 'Running');
    assert.equal(pod.status?.podIP, '192.0.2.7');
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.equal(pod.spec?.containers?.[0]?.ports?.[0]?.containerPort, 5353);
    calls.length = 0;
    await p.sync();
    assert.deepEqual(calls, ['get']);
  });

  it('rewrites a status someone marked not ready, and replaces a pod whose spec changed', async () => {
    const { client, pods, calls } = fakePods();
    await new MirrorPodPublisher(config(client, 5353)).sync();
    const pod = pods.get('kube-dns-n1');
    assert.ok(pod?.status);
    pod.status.conditions = [{ type: 'Ready', status: 'False' }];
    calls.length = 0;
    await new MirrorPodPublisher(config(client, 5353)).sync();
    assert.deepEqual(calls, ['get', 'patch status']);
    const uid = pods.get('kube-dns-n1')?.metadata?.uid;
    calls.length = 0;
    await new MirrorPodPublisher(config(client, 6000)).sync();
    assert.deepEqual(calls, ['get', 'delete', 'create', 'patch status']);
    assert.notEqual(pods.get('kube-dns-n1')?.metadata?.uid, uid);
    assert.equal(pods.get('kube-dns-n1')?.spec?.containers?.[0]?.ports?.[0]?.containerPort, 6000);
  });
});
