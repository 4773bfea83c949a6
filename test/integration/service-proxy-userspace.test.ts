/**
 * The userspace service proxy on a process-runtime node (what runs where there is no root): three "pods" — host
 * processes, each serving its own name over HTTP on its own port, published under one named container port — behind
 * one Service. A client pod reaches the Service through the address its `WEB_SERVICE_HOST/PORT` variables name (the
 * proxy's listener: nothing owns the cluster IP here) and hears every endpoint; the NodePort answers from the host;
 * deleting an endpoint's pod takes it out of the rotation; with topology hints only this node's zone's endpoint is
 * used once the Node carries a zone.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../src/base/net/free-port.js';
import { BUSYBOX_PATH } from '../../src/agent/images/builtin-images.js';
import { waitForPodPhase } from '../harness/pods.js';
import { httpGetBody } from '../harness/http-get.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = existsSync(BUSYBOX_PATH) ? false : 'needs busybox-static';

void describe('userspace service proxy on a process-runtime node', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-usp-${process.pid}`;
  const names = ['web-a', 'web-b', 'web-c'];
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'process', '--node-name', node, '--proxy-mode', 'userspace'] });
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    await c.stop();
  });

  void it('balances a Service over three endpoints, for a pod through its Service variables and from the host on the NodePort', async () => {
    for (const name of names) {
      const port = await freePort();
      await c.kubectlOk(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'httpd', image: 'busybox', command: ['busybox', 'sh', '-c', `mkdir -p www && echo ${name} > www/index.html && exec busybox httpd -f -p 127.0.0.1:${port} -h www`], ports: [{ name: 'http', containerPort: port }] }],
          },
        }),
      });
    }
    await c.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } }) });
    for (const name of names) await waitForPodPhase(c, name, ['Running']);
    // Three endpoints on three different ports: the named target port is resolved per pod.
    await eventually(async () => (await c.kubectlOk(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'jsonpath={.items[*].endpoints[*].addresses[0]}'])).trim().split(/\s+/).length === 3, 30_000).catch(async (err: unknown) =>
      assert.fail(`${String(err)}: want 3 endpoints\n${await c.kubectlOk(['get', 'pods,endpointslices', '-o', 'wide'])}`),
    );

    const script = 'while true; do echo "env: $WEB_SERVICE_HOST:$WEB_SERVICE_PORT"; echo "got: $(printf \'GET / HTTP/1.0\\r\\n\\r\\n\' | busybox nc -w 2 $WEB_SERVICE_HOST $WEB_SERVICE_PORT | tail -n 1)"; sleep 0.2; done';
    await c.kubectlOk(['run', 'client', '--image=busybox', '--', 'busybox', 'sh', '-c', script]);
    await waitForPodPhase(c, 'client', ['Running']);
    let log = '';
    await eventually(async () => {
      log = await c.kubectlOk(['logs', 'client']);
      return names.every((n) => log.includes(`got: ${n}`));
    }, 60_000).catch((err: unknown) => assert.fail(`${String(err)}; the client pod printed:\n${log.slice(-1500)}`));
    const clusterIP = (await c.kubectlOk(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const env = /env: ([\d.]+):(\d+)/.exec(log);
    assert.ok(env, log.slice(-500));
    // Nothing owns the cluster IP without root: the variables name the proxy's listener instead.
    assert.notEqual(`${env[1]}:${env[2]}`, `${clusterIP}:80`);

    const nodePort = Number(await c.kubectlOk(['get', 'service', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    const seen = new Set<string>();
    await eventually(async () => {
      for (let i = 0; i < 9; i++) {
        const body = await httpGetBody('127.0.0.1', nodePort);
        if (body) seen.add(body);
      }
      return names.every((n) => seen.has(n));
    }, 30_000).catch((err: unknown) => assert.fail(`${String(err)}; the NodePort answered ${[...seen].join(', ') || 'nothing'}`));

    await c.kubectlOk(['delete', 'pod', 'web-a', '--grace-period=1']);
    await eventually(async () => {
      const got: string[] = [];
      for (let i = 0; i < 9; i++) {
        const body = await httpGetBody('127.0.0.1', nodePort);
        if (body) got.push(body);
      }
      return got.length === 9 && !got.includes('web-a');
    }, 30_000);

    // Topology hints: a selector-less Service whose slice hints web-b for this node's zone and web-c for another;
    // once the node carries its zone, its proxy sends everything to web-b.
    const slices = JSON.parse(await c.kubectlOk(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json'])) as { items: { endpoints?: { addresses: string[]; targetRef?: { name: string } }[]; ports?: { port: number }[] }[] };
    const where = (pod: string): { ip: string; port: number } => {
      const sl = slices.items.find((i) => i.endpoints?.some((e) => e.targetRef?.name === pod));
      return { ip: sl?.endpoints?.[0]?.addresses[0] ?? assert.fail(`no endpoint for ${pod}`), port: sl?.ports?.[0]?.port ?? 0 };
    };
    const [b, cc] = [where('web-b'), where('web-c')];
    assert.equal(b.ip, cc.ip, 'process pods share the node address');
    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'zoned' }, spec: { type: 'NodePort', ports: [{ name: 'http', port: 80 }] } },
          {
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            metadata: { name: 'zoned-1', labels: { 'kubernetes.io/service-name': 'zoned' } },
            addressType: 'IPv4',
            ports: [{ name: 'http', port: b.port, protocol: 'TCP' }],
            endpoints: [{ addresses: [b.ip], conditions: { ready: true }, hints: { forZones: [{ name: 'zone-here' }] } }],
          },
          {
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            metadata: { name: 'zoned-2', labels: { 'kubernetes.io/service-name': 'zoned' } },
            addressType: 'IPv4',
            ports: [{ name: 'http', port: cc.port, protocol: 'TCP' }],
            endpoints: [{ addresses: [cc.ip], conditions: { ready: true }, hints: { forZones: [{ name: 'zone-other' }] } }],
          },
        ],
      }),
    });
    const zonedNodePort = Number(await c.kubectlOk(['get', 'service', 'zoned', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    const answers = async (): Promise<Set<string>> => {
      const got = new Set<string>();
      for (let i = 0; i < 8; i++) got.add((await httpGetBody('127.0.0.1', zonedNodePort)) ?? '');
      return got;
    };
    // No zone on the node yet: both endpoints.
    await eventually(async () => {
      const got = await answers();
      return got.has('web-b') && got.has('web-c');
    }, 30_000);
    await c.kubectlOk(['label', 'node', node, 'topology.kubernetes.io/zone=zone-here']);
    await eventually(async () => [...(await answers())].join() === 'web-b', 30_000);
    await c.kubectlOk(['delete', 'service', 'zoned']);
    await c.kubectlOk(['delete', 'endpointslice', 'zoned-1', 'zoned-2']);

    // externalTrafficPolicy Local on a LoadBalancer (of a class nobody implements: no LB address to listen on):
    // the API server allocates healthCheckNodePort and the node's proxy answers there as kube-proxy does.
    await c.kubectlOk(['patch', 'service', 'web', '-p', JSON.stringify({ spec: { type: 'LoadBalancer', loadBalancerClass: 'example.com/none', externalTrafficPolicy: 'Local' } })]);
    const hc = Number(await c.kubectlOk(['get', 'service', 'web', '-o', 'jsonpath={.spec.healthCheckNodePort}']));
    assert.ok(hc >= 30000, `healthCheckNodePort ${hc}`);
    const health = async (): Promise<{ status: number; body: string } | undefined> => {
      const r = await fetch(`http://127.0.0.1:${hc}/healthz`).catch(() => undefined);
      return r ? { status: r.status, body: await r.text() } : undefined;
    };
    let last: { status: number; body: string } | undefined;
    await eventually(async () => (last = await health())?.status === 200, 30_000).catch(() => assert.fail(`health check: ${JSON.stringify(last)}`));
    assert.deepEqual(JSON.parse(last?.body ?? '{}'), { service: { namespace: 'default', name: 'web' }, localEndpoints: 1, serviceProxyHealthy: true }, 'process pods share the node address: one');
    await c.kubectlOk(['patch', 'service', 'web', '-p', JSON.stringify({ spec: { selector: { app: 'nothing' } } })]);
    await eventually(async () => (last = await health())?.status === 503, 30_000).catch(() => assert.fail(`health check: ${JSON.stringify(last)}`));
    assert.equal((JSON.parse(last?.body ?? '{}') as { localEndpoints?: number }).localEndpoints, 0);
  });
});
