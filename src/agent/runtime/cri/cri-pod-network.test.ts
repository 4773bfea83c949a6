/**
 * CriRuntimeService's part in a containerd node's pod network, against a fake CRI client (no daemon, no root): the
 * pod CIDRs go out as UpdateRuntimeConfig's comma-separated `pod_cidr`, Status's NetworkReady condition is read,
 * sandboxes with a network of their own wait for the node's pod network while host-network ones do not, and
 * hostPorts are published with the sandbox's IPv4 address after RunPodSandbox and withdrawn at stop (a sandbox
 * whose hostPorts cannot be published is removed again).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodSandboxConfig, PortMapping } from '../../cri/runtime-service.js';
import type { CriClient, CriMessage } from './cri-client.js';
import { CriRuntimeService, type HostPortPublisher } from './cri-runtime-service.js';

/** FakeCri answers the runtime RPCs these tests make and records every call. */
class FakeCri {
  readonly calls: { method: string; request: CriMessage }[] = [];
  status: CriMessage = { status: { conditions: [{ type: 'RuntimeReady', status: true }, { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'cni plugin not initialized' }] } };
  #next = 0;

  runtime(method: string, request: CriMessage): Promise<CriMessage> {
    this.calls.push({ method, request });
    switch (method) {
      case 'RunPodSandbox':
        return Promise.resolve({ podSandboxId: `sb${++this.#next}` });
      case 'PodSandboxStatus':
        return Promise.resolve({ status: { id: request['podSandboxId'], state: 'SANDBOX_READY', network: { ip: '10.42.3.7', additionalIps: [{ ip: 'fd42::7' }] } } });
      case 'Status':
        return Promise.resolve(this.status);
      default:
        return Promise.resolve({});
    }
  }

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }
}

const sandbox = (name: string, portMappings: readonly PortMapping[] = [], hostNetwork = false): PodSandboxConfig => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 },
  hostname: name,
  logDirectory: `/var/log/pods/${name}`,
  portMappings,
  labels: {},
  annotations: {},
  ...(hostNetwork ? { linux: { namespaceOptions: { network: 'NODE' as const } } } : {}),
});

/** Publisher records what reached the node's NAT table. */
class Publisher implements HostPortPublisher {
  readonly published = new Map<string, { ip: string; portMappings: readonly PortMapping[] }>();
  fail = false;
  publishHostPorts(sandboxId: string, ip: string, portMappings: readonly PortMapping[]): Promise<void> {
    if (this.fail) return Promise.reject(new Error('nft: no table'));
    this.published.set(sandboxId, { ip, portMappings });
    return Promise.resolve();
  }
  unpublishHostPorts(sandboxId: string): Promise<void> {
    this.published.delete(sandboxId);
    return Promise.resolve();
  }
}

const client = (fake: FakeCri): CriClient => fake as unknown as CriClient;

void describe('CriRuntimeService and the node pod network', () => {
  void it('hands the pod CIDRs over and reads NetworkReady', async () => {
    const fake = new FakeCri();
    const runtime = new CriRuntimeService({ client: client(fake) });
    await runtime.updatePodCidrs(['10.42.3.0/24', 'fd42:0:0:3::/64']);
    assert.deepEqual(fake.calls[0], { method: 'UpdateRuntimeConfig', request: { runtimeConfig: { networkConfig: { podCidr: '10.42.3.0/24,fd42:0:0:3::/64' } } } });
    assert.deepEqual(await runtime.networkStatus(), { ready: false, message: 'cni plugin not initialized' });
    fake.status = { status: { conditions: [{ type: 'NetworkReady', status: true }] } };
    assert.deepEqual(await runtime.networkStatus(), { ready: true, message: '' });
    fake.status = { status: { conditions: [] } };
    assert.equal((await runtime.networkStatus()).ready, false);
  });

  void it('holds pod-network sandboxes until the node network is ready, never host-network ones', async () => {
    const fake = new FakeCri();
    let open: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (open = resolve));
    const runtime = new CriRuntimeService({ client: client(fake), podNetworkReady: ready });
    const pod = runtime.runPodSandbox(sandbox('web'));
    assert.equal(await runtime.runPodSandbox(sandbox('host', [], true)), 'sb1');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(fake.methods(), ['RunPodSandbox'], 'only the host-network sandbox ran');
    open();
    assert.equal(await pod, 'sb2');
    // A network that never came (no pod CIDR) lets sandboxes go: the runtime's own CNI state answers.
    const failed = new CriRuntimeService({ client: client(new FakeCri()), podNetworkReady: Promise.reject(new Error('no pod CIDR')) });
    assert.equal(await failed.runPodSandbox(sandbox('late')), 'sb1');
  });

  void it('publishes hostPorts with the IPv4 address and withdraws them at stop', async () => {
    const fake = new FakeCri();
    const publisher = new Publisher();
    const runtime = new CriRuntimeService({ client: client(fake), hostPorts: publisher });
    const ports: PortMapping[] = [{ protocol: 'TCP', containerPort: 8080, hostPort: 18080 }];
    const id = await runtime.runPodSandbox(sandbox('web', ports));
    assert.deepEqual(publisher.published.get(id), { ip: '10.42.3.7', portMappings: ports });
    // No hostPort, or the host's own network: nothing to publish, no status read.
    await runtime.runPodSandbox(sandbox('plain', [{ protocol: 'TCP', containerPort: 80 }]));
    await runtime.runPodSandbox(sandbox('host', [{ protocol: 'TCP', containerPort: 80, hostPort: 80 }], true));
    assert.equal(publisher.published.size, 1);
    assert.equal(fake.methods().filter((m) => m === 'PodSandboxStatus').length, 1);
    await runtime.stopPodSandbox(id);
    assert.equal(publisher.published.size, 0);
  });

  void it('removes a sandbox whose hostPorts cannot be published', async () => {
    const fake = new FakeCri();
    const publisher = new Publisher();
    publisher.fail = true;
    const runtime = new CriRuntimeService({ client: client(fake), hostPorts: publisher });
    await assert.rejects(runtime.runPodSandbox(sandbox('web', [{ protocol: 'TCP', containerPort: 8080, hostPort: 18080 }])), /Cannot publish the hostPorts of pod sandbox default\/web: nft: no table/);
    assert.deepEqual(fake.methods(), ['RunPodSandbox', 'PodSandboxStatus', 'StopPodSandbox', 'RemovePodSandbox']);
  });
});
