/**
 * Endpoints and EndpointSlices through real kubectl on a server with simulated nodes: a Service's named target
 * port resolves to its pods' container port, scaling changes the addresses, `kubectl describe service` lists them,
 * and deleting the Service removes both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const APP = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'echo', namespace: 'default' },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'echo' } },
    template: {
      metadata: { labels: { app: 'echo' } },
      spec: { containers: [{ name: 'echo', image: 'echo:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
    },
  },
};
const SERVICE = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'echo', namespace: 'default', labels: { tier: 'web' } },
  spec: { selector: { app: 'echo' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] },
};

interface EndpointsView {
  subsets?: { addresses?: { ip: string; targetRef?: { name: string } }[]; ports?: { port: number; name?: string }[] }[];
}
interface SliceView {
  metadata: { labels?: Record<string, string> };
  endpoints?: { addresses: string[]; conditions: { ready: boolean } }[];
  ports?: { port: number; name: string }[];
}

describe('Endpoints and EndpointSlice controllers', () => {
  let c: TestCluster;
  const ns = ['-n', 'default'];
  const endpoints = async (): Promise<EndpointsView> => JSON.parse(await c.kubectlOk(['get', 'endpoints', 'echo', ...ns, '-o', 'json'])) as EndpointsView;
  const slices = async (): Promise<SliceView[]> =>
    (JSON.parse(await c.kubectlOk(['get', 'endpointslices', ...ns, '-l', 'kubernetes.io/service-name=echo', '-o', 'json'])) as { items: SliceView[] }).items;
  const addressCount = async (): Promise<number> => (await endpoints()).subsets?.reduce((n, s) => n + (s.addresses?.length ?? 0), 0) ?? 0;
  const readySliceEndpoints = async (): Promise<number> =>
    (await slices()).reduce((n, s) => n + (s.endpoints ?? []).filter((e) => e.conditions.ready).length, 0);

  before(async () => {
    c = await TestCluster.start({ args: ['--simulated-nodes', '2'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('lists the ready pods on their named container port', async () => {
    await c.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [APP, SERVICE] }) });
    await eventually(async () => (await addressCount()) === 3, 60_000);
    const ep = await endpoints();
    assert.deepEqual(ep.subsets?.[0]?.ports, [{ name: 'web', port: 8080, protocol: 'TCP' }]);
    assert.ok(ep.subsets?.[0]?.addresses?.every((a) => a.targetRef?.name.startsWith('echo-')));
    await eventually(async () => (await readySliceEndpoints()) === 3, 60_000);
    const [slice] = await slices();
    assert.deepEqual(slice?.ports, [{ name: 'web', port: 8080, protocol: 'TCP' }]);
    assert.equal(slice?.metadata.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.equal(slice?.metadata.labels?.['tier'], 'web');
    const describe = await c.kubectlOk(['describe', 'service', 'echo', ...ns]);
    assert.match(describe, /Endpoints:\s+\d+\.\d+\.\d+\.\d+:8080,\d+\.\d+\.\d+\.\d+:8080,\d+\.\d+\.\d+\.\d+:8080/);
  });

  it('follows scaling', async () => {
    await c.kubectlOk(['scale', 'deployment', 'echo', '--replicas=1', ...ns]);
    await eventually(async () => (await addressCount()) === 1 && (await readySliceEndpoints()) === 1, 60_000);
  });

  it('goes away with the Service', async () => {
    await c.kubectlOk(['delete', 'service', 'echo', ...ns]);
    await eventually(async () => (await c.kubectl(['get', 'endpoints', 'echo', ...ns])).code !== 0 && (await slices()).length === 0, 60_000);
  });

  it('refuses a taken NodePort and a cluster IP outside the range with 422 and upstream\'s message (kubectl)', async () => {
    const svc = (name: string, spec: object): string => JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } });
    await c.kubectlOk(['create', '-f', '-', ...ns], { input: svc('np-a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30999 }] }) });
    const taken = await c.kubectl(['create', '-f', '-', ...ns], { input: svc('np-b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30999 }] }) });
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /The Service "np-b" is invalid: spec\.ports\[0\]\.nodePort: Invalid value: 30999: provided port is already allocated/);
    const outside = await c.kubectl(['create', '-f', '-', ...ns], { input: svc('ip-out', { clusterIP: '192.0.2.77' }) });
    assert.notEqual(outside.code, 0);
    assert.match(outside.stderr, /The Service "ip-out" is invalid: spec\.clusterIPs: Invalid value: \[\]string\{"192\.0\.2\.77"\}: failed to allocate IP 192\.0\.2\.77: provided IP is not in the valid range/);
    // The 422 on the wire, as a Status.
    const wire = await c.kubectl(['create', '-f', '-', '-v=8', ...ns], { input: svc('ip-out', { clusterIP: '192.0.2.77' }) });
    assert.match(wire.stderr, /Response Status: 422 Unprocessable Entity/);
    await c.kubectlOk(['delete', 'service', 'np-a', ...ns]);
  });

  it('allocates a healthCheckNodePort for LoadBalancer + Local and refuses bad loadBalancerSourceRanges (kubectl)', async () => {
    const svc = (name: string, spec: object): string => JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }], ...spec } });
    await c.kubectlOk(['create', '-f', '-', ...ns], { input: svc('lb-local', { externalTrafficPolicy: 'Local', loadBalancerSourceRanges: ['192.0.2.0/24'] }) });
    const hc = Number(await c.kubectlOk(['get', 'service', 'lb-local', '-o', 'jsonpath={.spec.healthCheckNodePort}', ...ns]));
    assert.ok(hc >= 30000 && hc <= 32767, `healthCheckNodePort ${hc}`);
    const bad = await c.kubectl(['create', '-f', '-', ...ns], { input: svc('lb-bad', { loadBalancerSourceRanges: ['10.0.0.0'] }) });
    assert.match(bad.stderr, /The Service "lb-bad" is invalid: spec\.LoadBalancerSourceRanges\[0\]: Invalid value: "10\.0\.0\.0": must be a valid CIDR value/);
    await c.kubectlOk(['patch', 'service', 'lb-local', '-p', '{"spec":{"externalTrafficPolicy":"Cluster"}}', ...ns]);
    assert.equal(await c.kubectlOk(['get', 'service', 'lb-local', '-o', 'jsonpath={.spec.healthCheckNodePort}', ...ns]), '');
    await c.kubectlOk(['delete', 'service', 'lb-local', ...ns]);
  });

  it('gives topology hints to a Service with topology-mode Auto once nodes carry zones, with events (kubectl)', async () => {
    await c.kubectlOk(['scale', 'deployment', 'echo', '--replicas=4', ...ns]);
    const svc = { ...SERVICE, metadata: { name: 'echo-zones', namespace: 'default', annotations: { 'service.kubernetes.io/topology-mode': 'Auto' } } };
    await c.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(svc) });
    const reasons = async (): Promise<string> => c.kubectlOk(['get', 'events', ...ns, '--field-selector', 'involvedObject.name=echo-zones', '-o', 'jsonpath={.items[*].reason}']);
    // Nodes without zones: no hints, and a warning says so.
    await eventually(async () => (await reasons()).includes('TopologyAwareHintsDisabled'), 30_000);
    const nodes = (await c.kubectlOk(['get', 'nodes', '-o', 'name'])).split('\n').filter(Boolean);
    assert.ok(nodes.length >= 2, nodes.join(' '));
    for (const [i, n] of nodes.entries()) await c.kubectlOk(['label', '--overwrite', n, `topology.kubernetes.io/zone=zone-${i % 2}`]);
    const hinted = async (): Promise<string[]> => {
      const items = (JSON.parse(await c.kubectlOk(['get', 'endpointslices', ...ns, '-l', 'kubernetes.io/service-name=echo-zones', '-o', 'json'])) as { items: { endpoints?: { conditions: { ready: boolean }; zone?: string; hints?: { forZones: { name: string }[] } }[] }[] }).items;
      const ready = items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions.ready);
      return ready.length === 4 && ready.every((e) => e.zone) ? ready.map((e) => e.hints?.forZones[0]?.name ?? '-') : [];
    };
    await eventually(async () => {
      const h = await hinted();
      return h.filter((z) => z === 'zone-0').length === 2 && h.filter((z) => z === 'zone-1').length === 2;
    }, 30_000);
    await eventually(async () => (await reasons()).includes('TopologyAwareHintsEnabled'), 30_000);
    await c.kubectlOk(['delete', 'service', 'echo-zones', ...ns]);
  });
});
