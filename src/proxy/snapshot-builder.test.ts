import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterEndpoints, externalEndpoints } from './proxy-state.js';
import { buildProxySnapshot, DEFAULT_AFFINITY_SECONDS, SnapshotBuilder, type EndpointSliceObject, type ServiceObject } from './snapshot-builder.js';

const svc = (name: string, spec: ServiceObject['spec'], status?: ServiceObject['status']): ServiceObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'ns', name }, spec, ...(status ? { status } : {}) });
type Ep = NonNullable<EndpointSliceObject['endpoints']>[number];
const slice = (service: string, name: string, endpoints: Ep[], ports: EndpointSliceObject['ports'] = [{ name: 'http', protocol: 'TCP', port: 8080 }]): EndpointSliceObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { namespace: 'ns', name, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints,
  ports,
});
const ep = (ip: string, node: string, conditions: Ep['conditions'] = { ready: true, serving: true, terminating: false }): Ep => ({ addresses: [ip], nodeName: node, conditions });
const build = (services: ServiceObject[], endpointSlices: EndpointSliceObject[]) => buildProxySnapshot({ nodeName: 'n1', nodeIPs: ['192.0.2.2'], clusterCidr: '10.42.0.0/16', services, endpointSlices });

void describe('buildProxySnapshot', () => {
  void it('skips headless and ExternalName Services and keeps the rest sorted by key', () => {
    const s = build(
      [
        svc('web', { clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80 }] }),
        svc('headless', { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] }),
        svc('ext', { type: 'ExternalName', externalName: 'example.com', ports: [{ port: 80 }] }),
        svc('api', { clusterIP: '10.43.0.6', ports: [{ name: 'a', port: 1, protocol: 'UDP' }] }),
      ],
      [],
    );
    assert.deepEqual(s.servicePorts.map((p) => [p.key, p.protocol, p.clusterIPs]), [['ns/api:a', 'UDP', ['10.43.0.6']], ['ns/web:http', 'TCP', ['10.43.0.5']]]);
    assert.equal(s.nodeName, 'n1');
  });

  void it('takes endpoints from slices by port name, once each, with conditions and locality', () => {
    const s = build(
      [svc('web', { clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }] })],
      [
        slice('web', 'web-a', [ep('10.42.0.2', 'n1'), ep('10.42.1.2', 'n2', { ready: false, serving: false, terminating: false })]),
        slice('web', 'web-b', [ep('10.42.0.2', 'n1'), ep('10.42.0.3', 'n1', {})]),
        slice('other', 'other-a', [ep('10.42.0.9', 'n1')]),
      ],
    );
    const http = s.servicePorts.find((p) => p.portName === 'http');
    assert.deepEqual(http?.endpoints.map((e) => [e.ip, e.port, e.ready, e.isLocal]), [['10.42.0.2', 8080, true, true], ['10.42.0.3', 8080, true, true], ['10.42.1.2', 8080, false, false]]);
    // No slice port named "metrics": no endpoints (the proxier rejects its traffic).
    assert.deepEqual(s.servicePorts.find((p) => p.portName === 'metrics')?.endpoints, []);
    assert.deepEqual(clusterEndpoints(http ?? assert.fail()).map((e) => e.ip), ['10.42.0.2', '10.42.0.3']);
  });

  void it('falls back to serving terminating endpoints only when none is ready', () => {
    const terminating = { ready: false, serving: true, terminating: true };
    const s = build([svc('web', { clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80 }] })], [slice('web', 'a', [ep('10.42.0.2', 'n1', terminating), ep('10.42.0.3', 'n1', { ready: false, serving: false, terminating: true })])]);
    const sp = s.servicePorts[0] ?? assert.fail();
    assert.deepEqual(clusterEndpoints(sp).map((e) => e.ip), ['10.42.0.2']);
    const s2 = build([svc('web', { clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80 }] })], [slice('web', 'a', [ep('10.42.0.2', 'n1', terminating), ep('10.42.0.4', 'n2')])]);
    assert.deepEqual(clusterEndpoints(s2.servicePorts[0] ?? assert.fail()).map((e) => e.ip), ['10.42.0.4']);
  });

  void it('carries NodePort, LoadBalancer ingress, externalIPs, affinity and traffic policies', () => {
    const s = build(
      [
        svc(
          'lb',
          { type: 'LoadBalancer', clusterIP: '10.43.0.7', externalIPs: ['198.51.100.1'], ports: [{ name: 'http', port: 80, nodePort: 30080 }], sessionAffinity: 'ClientIP', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local' },
          { loadBalancer: { ingress: [{ ip: '203.0.113.9' }, { hostname: 'lb.example' }] } },
        ),
        svc('plain', { type: 'ClusterIP', clusterIP: '10.43.0.8', ports: [{ name: 'http', port: 80, nodePort: 30081 }], externalTrafficPolicy: 'Local', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }),
      ],
      [slice('lb', 'lb-a', [ep('10.42.0.2', 'n1'), ep('10.42.1.2', 'n2')])],
    );
    const [lb, plain] = s.servicePorts;
    assert.equal(lb?.nodePort, 30080);
    assert.deepEqual(lb?.loadBalancerIPs, ['203.0.113.9']);
    assert.deepEqual(lb?.externalIPs, ['198.51.100.1']);
    assert.equal(lb?.sessionAffinitySeconds, DEFAULT_AFFINITY_SECONDS);
    assert.equal(lb?.externalTrafficPolicyLocal, true);
    assert.equal(lb?.internalTrafficPolicyLocal, true);
    assert.deepEqual(externalEndpoints(lb ?? assert.fail()).map((e) => e.ip), ['10.42.0.2']);
    assert.deepEqual(clusterEndpoints(lb).map((e) => e.ip), ['10.42.0.2']);
    // A ClusterIP Service has no node port and no external policy, whatever its spec says.
    assert.equal(plain?.nodePort, undefined);
    assert.equal(plain?.externalTrafficPolicyLocal, false);
    assert.equal(plain?.sessionAffinitySeconds, 60);
  });

  void it('hands back the same ServicePorts for Services whose objects kept their resourceVersions', () => {
    const withRv = <T extends ServiceObject | EndpointSliceObject>(o: T, rv: string): T => ({ ...o, metadata: { ...o.metadata, resourceVersion: rv } });
    const services = [withRv(svc('a', { clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80 }] }), '1'), withRv(svc('b', { clusterIP: '10.43.0.6', ports: [{ name: 'http', port: 80 }] }), '2')];
    const slices = [withRv(slice('a', 'a-1', [ep('10.42.0.2', 'n1')]), '3'), withRv(slice('b', 'b-1', [ep('10.42.0.3', 'n1')]), '4')];
    const builder = new SnapshotBuilder();
    const input = { nodeName: 'n1', nodeIPs: [], clusterCidr: '10.42.0.0/16', services, endpointSlices: slices };
    const first = builder.build(input);
    const second = builder.build({ ...input, endpointSlices: [slices[0] as EndpointSliceObject, withRv(slice('b', 'b-1', [ep('10.42.0.4', 'n1')]), '5')] });
    assert.equal(second.servicePorts[0], first.servicePorts[0], 'a unchanged: same object');
    assert.notEqual(second.servicePorts[1], first.servicePorts[1]);
    assert.equal(second.servicePorts[1]?.endpoints[0]?.ip, '10.42.0.4');
  });

  void describe('topology-aware routing', () => {
    const hinted = (ip: string, node: string, zones: string[] | undefined, conditions: Ep['conditions'] = { ready: true, serving: true, terminating: false }): Ep => ({ ...ep(ip, node, conditions), ...(zones ? { hints: { forZones: zones.map((name) => ({ name })) } } : {}) });
    const notReady = { ready: false, serving: false, terminating: false };
    const terminating = { ready: false, serving: true, terminating: true };
    const web = (spec: Partial<NonNullable<ServiceObject['spec']>> = {}) => svc('web', { clusterIP: '10.43.0.5', type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }], ...spec });
    const cases: { name: string; zone: string | undefined; endpoints: Ep[]; spec?: Partial<NonNullable<ServiceObject['spec']>>; cluster: string[]; external?: string[] }[] = [
      { name: 'every endpoint hinted: only this zone\'s', zone: 'a', endpoints: [hinted('10.42.0.2', 'n1', ['a']), hinted('10.42.1.2', 'n2', ['b']), hinted('10.42.1.3', 'n2', ['a'])], cluster: ['10.42.0.2', '10.42.1.3'], external: ['10.42.0.2', '10.42.1.3'] },
      { name: 'node without a zone: all', zone: undefined, endpoints: [hinted('10.42.0.2', 'n1', ['a']), hinted('10.42.1.2', 'n2', ['b'])], cluster: ['10.42.0.2', '10.42.1.2'] },
      { name: 'one ready endpoint without hints: all', zone: 'a', endpoints: [hinted('10.42.0.2', 'n1', ['a']), hinted('10.42.1.2', 'n2', undefined)], cluster: ['10.42.0.2', '10.42.1.2'] },
      { name: 'a not-ready endpoint without hints does not matter', zone: 'a', endpoints: [hinted('10.42.0.2', 'n1', ['a']), hinted('10.42.1.2', 'n2', ['b']), hinted('10.42.1.3', 'n2', undefined, notReady)], cluster: ['10.42.0.2'] },
      { name: 'no endpoint hinted for this zone: all', zone: 'c', endpoints: [hinted('10.42.0.2', 'n1', ['a']), hinted('10.42.1.2', 'n2', ['b'])], cluster: ['10.42.0.2', '10.42.1.2'] },
      { name: 'an endpoint hinted for two zones', zone: 'b', endpoints: [hinted('10.42.0.2', 'n1', ['a', 'b']), hinted('10.42.1.2', 'n2', ['a'])], cluster: ['10.42.0.2'] },
      { name: 'internalTrafficPolicy Local beats hints', zone: 'b', spec: { internalTrafficPolicy: 'Local' }, endpoints: [hinted('10.42.0.2', 'n1', ['a']), hinted('10.42.1.2', 'n2', ['b'])], cluster: ['10.42.0.2'], external: ['10.42.1.2'] },
      { name: 'externalTrafficPolicy Local beats hints', zone: 'b', spec: { externalTrafficPolicy: 'Local' }, endpoints: [hinted('10.42.0.2', 'n1', ['a']), hinted('10.42.1.2', 'n2', ['b'])], cluster: ['10.42.1.2'], external: ['10.42.0.2'] },
      { name: 'no ready endpoint: serving terminating ones, hints aside', zone: 'a', endpoints: [hinted('10.42.0.2', 'n1', ['b'], terminating)], cluster: ['10.42.0.2'] },
    ];
    for (const c of cases) {
      void it(c.name, () => {
        const s = buildProxySnapshot({ nodeName: 'n1', ...(c.zone ? { nodeZone: c.zone } : {}), nodeIPs: ['192.0.2.2'], clusterCidr: '10.42.0.0/16', services: [web(c.spec)], endpointSlices: [slice('web', 'web-a', c.endpoints)] });
        const sp = s.servicePorts[0] ?? assert.fail();
        assert.deepEqual(clusterEndpoints(sp).map((e) => e.ip), c.cluster);
        assert.deepEqual(externalEndpoints(sp).map((e) => e.ip), c.external ?? c.cluster);
      });
    }
    void it('a zone change rebuilds cached ServicePorts', () => {
      const withRv = <T extends ServiceObject | EndpointSliceObject>(o: T, rv: string): T => ({ ...o, metadata: { ...o.metadata, resourceVersion: rv } });
      const builder = new SnapshotBuilder();
      const input = { nodeName: 'n1', nodeIPs: [], clusterCidr: '10.42.0.0/16', services: [withRv(web(), '1')], endpointSlices: [withRv(slice('web', 'w', [hinted('10.42.0.2', 'n1', ['a']), hinted('10.42.1.2', 'n2', ['b'])]), '2')] };
      const a = builder.build({ ...input, nodeZone: 'a' }).servicePorts[0] ?? assert.fail();
      const b = builder.build({ ...input, nodeZone: 'b' }).servicePorts[0] ?? assert.fail();
      assert.deepEqual([clusterEndpoints(a).map((e) => e.ip), clusterEndpoints(b).map((e) => e.ip)], [['10.42.0.2'], ['10.42.1.2']]);
    });
  });
});
