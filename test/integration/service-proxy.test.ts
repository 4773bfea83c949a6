/**
 * The nftables service proxy on a real runc node, driven with real kubectl: a Deployment of three busybox httpd
 * pods (each answering with its own name) behind a ClusterIP Service reached from a client pod, and behind a
 * NodePort Service reached from the host on 127.0.0.1 and on another node address; an endpoint failing its
 * readiness probe stops getting traffic; sessionAffinity ClientIP sticks; the proxy's table goes with the clean-up.
 * With the rest of the cluster's network: Service names resolve through the kube-dns Service from a pod, the pod
 * sees the Services' environment variables, a LoadBalancer Service answers at its EXTERNAL-IP, and an Ingress host
 * reaches the pods. The cluster is dual-stack (an IPv6 range in --cluster-cidr and --service-cidr): pods get an
 * IPv6 address too, a RequireDualStack Service answers at its IPv6 cluster IP through the ip6 proxy table, a
 * NetworkPolicy lets one peer in over IPv6 and keeps another out, and an IPv6 NodePort answers on the node's IPv6
 * address.
 * The client pod prints what it fetched to its log (no `kubectl exec` needed for traffic).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { get } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nthAddress, parseCidr } from '../../src/base/net/cidr.js';
import { freePort } from '../../src/base/net/free-port.js';
import { formatIP } from '../../src/base/net/ip-address.js';
import { readProxyRecord, type ProxyRecord } from '../../src/boot/proxy-record.js';
import { containerHostMissing, commandExists } from '../harness/host-tools.js';
import { waitForPodPhase } from '../harness/pods.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { httpGetBody } from '../harness/http-get.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing() || (commandExists('nft') ? false : 'needs nft');

async function answers(host: string, port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const body = await httpGetBody(host, port);
    if (body) out.push(body);
  }
  return out;
}

/** connectError: the error code of a TCP connect (ECONNREFUSED, ETIMEDOUT…), or "connected". */
function connectError(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** otherNodeAddress: a global IPv4 address of this host (NodePorts answer on every local address). */
function otherNodeAddress(): string | undefined {
  const out = execFileSync('ip', ['-4', '-o', 'addr', 'show', 'scope', 'global']).toString();
  return /inet ([\d.]+)\//.exec(out)?.[1];
}

/**
 * nodeAddress6: a global IPv6 address of this host outside every test cluster's pod ranges (fd42:…, the bridges'
 * addresses), if it has one: NodePorts answer on every local address.
 */
function nodeAddress6(): string | undefined {
  const out = execFileSync('ip', ['-6', '-o', 'addr', 'show', 'scope', 'global']).toString();
  return [...out.matchAll(/inet6 ([0-9a-f:]+)\//g)].map((m) => m[1] ?? '').find((a) => a && !a.startsWith('fd42:'));
}

/** bridgeAddress6: the node bridge's IPv6 address (the first of its IPv6 pod CIDR), also a local address. */
function bridgeAddress6(podCidr6: string): string {
  return formatIP(nthAddress(parseCidr(podCidr6), 1));
}

function tableOf(record: ProxyRecord | undefined): string {
  return record?.mode === 'nftables' ? record.table : '';
}

interface PodList {
  items: { metadata: { name: string }; status?: { podIP?: string } }[];
}

void describe('nftables service proxy on a runc node', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-svc-${process.pid}`;
  let table = '';
  before(async () => {
    c = await TestCluster.start({ agent: true, dualStack: true, args: ['--container-runtime', 'runc', '--node-name', node] });
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'deployment', 'web', '--wait=false']);
    await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    table ||= tableOf(readProxyRecord(join(c.dataDir, 'agent', 'proxy')));
    await cleanupRuncNode(c);
    if (table) assert.equal(execFileSync('nft', ['list', 'tables']).toString().includes(` ${table}\n`), false, 'the proxy table is gone');
  });

  let webPods: string[] = [];
  let nodePort = 0;

  void it('balances a ClusterIP Service over every ready endpoint, from a pod', async () => {
    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: 'httpd',
                  image: 'busybox',
                  command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && touch /www/ready && exec httpd -f -p 8080 -h /www'],
                  ports: [{ containerPort: 8080, name: 'http' }],
                  readinessProbe: { exec: { command: ['test', '-f', '/www/ready'] }, periodSeconds: 1, failureThreshold: 1 },
                },
              ],
            },
          },
        },
      }),
    });
    for (const svc of [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-np' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] } },
    ]) {
      await c.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(svc) });
    }
    const clusterIP = (await c.kubectlOk(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    nodePort = Number(await c.kubectlOk(['get', 'service', 'web-np', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    assert.match(clusterIP, /^\d+\.\d+\.\d+\.\d+$/);
    assert.ok(nodePort >= 30000 && nodePort <= 32767, `nodePort ${nodePort}`);
    webPods = await eventually(async () => {
      const list = JSON.parse(await c.kubectlOk(['get', 'pods', '-l', 'app=web', '-o', 'json'])) as PodList;
      const ready = await c.kubectlOk(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
      return list.items.length === 3 && ready.split('\n').filter((s) => s === 'True').length === 3 ? list.items.map((p) => p.metadata.name).sort() : undefined;
    }, 90_000);
    // (busybox-static's wget crashes on this machine; nc speaks HTTP/1.0 well enough.)
    const script = `while true; do echo "got: $(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${clusterIP} 80 | tail -n 1)"; sleep 0.2; done`;
    await c.kubectlOk(['run', 'client', '--image=busybox', '--', 'sh', '-c', script]);
    await waitForPodPhase(c, 'client', ['Running']);
    let log = '';
    await eventually(async () => {
      log = await c.kubectlOk(['logs', 'client']);
      return webPods.every((p) => log.includes(`got: ${p}`));
    }, 60_000).catch((err: unknown) => assert.fail(`${String(err)}; want answers from ${webPods.join(', ')}; the client pod printed:\n${log.slice(-1500)}`));
    table = tableOf(readProxyRecord(join(c.dataDir, 'agent', 'proxy')));
    assert.ok(table, 'the proxy recorded its table');
    assert.match(execFileSync('nft', ['list', 'table', 'ip', table]).toString(), new RegExp(`${clusterIP.replace(/\./g, '\\.')} \\. tcp \\. 80 : goto svc-`));
  });

  void it('gives pods an IPv6 address too, and serves a dual-stack Service at its IPv6 cluster IP (dual-stack)', async () => {
    const [first, second] = webPods;
    assert.ok(first && second);
    const ipsOf = async (pod: string): Promise<string[]> => (await c.kubectlOk(['get', 'pod', pod, '-o', 'jsonpath={.status.podIPs[*].ip}'])).trim().split(' ');
    const [v4, v6] = await ipsOf(first);
    assert.match(v4 ?? '', /^\d+\.\d+\.\d+\.\d+$/, 'IPv4 first, as upstream');
    assert.match(v6 ?? '', /^fd42:/, `an IPv6 address from the node's IPv6 pod CIDR: ${v4 ?? ''} ${v6 ?? ''}`);
    const node6 = (await c.kubectlOk(['get', 'node', node, '-o', 'jsonpath={.spec.podCIDRs[1]}'])).trim();
    assert.match(node6, /^fd42:[0-9a-f:]+\/64$/);
    const [, peer6] = await ipsOf(second);
    const get = (ip: string, port: number): string => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} ${port} | tail -n 1`;
    // Pod to pod over IPv6, and the host to a pod through the bridge's IPv6 address.
    assert.equal((await c.kubectlOk(['exec', first, '--', 'sh', '-c', get(peer6 ?? '', 8080)])).trim(), second);
    assert.equal(await httpGetBody(v6 ?? '', 8080), first);

    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-dual' }, spec: { ipFamilyPolicy: 'RequireDualStack', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } }),
    });
    const [ip4, ip6] = (await c.kubectlOk(['get', 'service', 'web-dual', '-o', 'jsonpath={.spec.clusterIPs[*]}'])).trim().split(' ');
    assert.match(ip4 ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    assert.match(ip6 ?? '', /^fd43:/);
    // One EndpointSlice per family.
    await eventually(async () => {
      const types = (await c.kubectlOk(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web-dual', '-o', 'jsonpath={range .items[*]}{.addressType}={.endpoints[*].addresses[0]}{"\\n"}{end}'])).trim().split('\n').sort();
      return types.length === 2 && types[0]?.split(' ').length === 3 && types[0].startsWith('IPv4=') && types[1]?.split(' ').length === 3 && types[1].startsWith('IPv6=fd42:');
    }, 30_000);
    const seen = new Set<string>();
    await eventually(async () => {
      const out = await c.kubectlOk(['exec', first, '--', 'sh', '-c', `for i in $(seq 6); do ${get(ip6 ?? '', 80)}; done`]);
      for (const line of out.split('\n')) if (webPods.includes(line.trim())) seen.add(line.trim());
      return seen.size >= 2;
    }, 30_000).catch((err: unknown) => assert.fail(`${String(err)}; [${ip6 ?? ''}]:80 answered ${[...seen].join(', ') || 'nothing'}`));
    assert.match(execFileSync('nft', ['list', 'table', 'ip6', table]).toString(), new RegExp(`${(ip6 ?? '').replace(/\./g, '\\.')} \\. tcp \\. 80 : goto svc-`));

    // NetworkPolicy over IPv6: a policy allowing one peer lets it in at the pod's IPv6 address and keeps another
    // pod out; without the policy the other pod gets back in.
    const third = webPods[2];
    assert.ok(third);
    const overV6 = async (from: string): Promise<string> => (await c.kubectl(['exec', from, '--', 'sh', '-c', get(peer6 ?? '', 8080)])).stdout.trim();
    await c.kubectlOk(['label', 'pod', second, 'np6=isolated']);
    await c.kubectlOk(['label', 'pod', first, 'np6-peer=yes']);
    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'isolate-v6' }, spec: { podSelector: { matchLabels: { np6: 'isolated' } }, ingress: [{ from: [{ podSelector: { matchLabels: { 'np6-peer': 'yes' } } }], ports: [{ port: 'http' }] }] } }),
    });
    await eventually(async () => ((await overV6(third)) === '' ? true : undefined), 30_000).catch(() => assert.fail('a pod the policy does not allow still reaches the isolated pod over IPv6'));
    assert.equal(await overV6(first), second, 'the allowed peer reaches the isolated pod over IPv6');
    assert.match(execFileSync('nft', ['list', 'table', 'ip6', `tkube-np-${node}`]).toString(), /ip6 saddr (\{ )?fd42:[0-9a-f:]+ (\} )?tcp dport 8080 accept/, 'the allowed peer by its IPv6 address, on the named port');
    await c.kubectlOk(['delete', 'networkpolicy', 'isolate-v6']);
    await c.kubectlOk(['label', 'pod', second, 'np6-']);
    await c.kubectlOk(['label', 'pod', first, 'np6-peer-']);
    await eventually(async () => ((await overV6(third)) === second ? true : undefined), 30_000);
    // The node's NAT table has its IPv6 twin: pods' IPv6 traffic leaving the cluster range is masqueraded.
    assert.match(execFileSync('nft', ['list', 'table', 'ip6', `tkube-${node}`]).toString(), /ip6 saddr fd42:[0-9a-f:]+\/56 ip6 daddr != fd42:[0-9a-f:]+\/56 masquerade/);
  });

  void it('serves a NodePort of an IPv6 Service and a hostPort on the node\'s IPv6 address, from the host (dual-stack)', async () => {
    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-np6' }, spec: { type: 'NodePort', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'], selector: { app: 'web' }, ports: [{ name: 'http', port: 8080, targetPort: 'http' }] } }),
    });
    const port = Number(await c.kubectlOk(['get', 'service', 'web-np6', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    const host = nodeAddress6() ?? bridgeAddress6((await c.kubectlOk(['get', 'node', node, '-o', 'jsonpath={.spec.podCIDRs[1]}'])).trim());
    const seen = new Set<string>();
    await eventually(async () => {
      for (const a of await answers(host, port, 6)) seen.add(a);
      return seen.size >= 2;
    }, 30_000).catch((err: unknown) => assert.fail(`${String(err)}; [${host}]:${port} answered ${[...seen].join(', ') || 'nothing'}`));
    assert.ok([...seen].every((p) => webPods.includes(p)));
    await c.kubectlOk(['delete', 'service', 'web-np6']);

    // A hostPort on that IPv6 address (hostIP of the IPv6 family: published in the ip6 NAT table only).
    const hostPort = await freePort();
    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hostport6' },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'httpd', image: 'busybox', command: ['sh', '-c', 'mkdir -p /www && echo hostport6 > /www/index.html && exec httpd -f -p 8080 -h /www'], ports: [{ containerPort: 8080, hostPort, hostIP: host }] }] },
      }),
    });
    await waitForPodPhase(c, 'hostport6', ['Running']);
    await eventually(async () => ((await httpGetBody(host, hostPort)) === 'hostport6' ? true : undefined), 30_000).catch(() => assert.fail(`[${host}]:${hostPort} does not reach the pod`));
    assert.doesNotMatch(execFileSync('nft', ['list', 'table', 'ip', `tkube-${node}`]).toString(), new RegExp(`dport ${hostPort} `), 'an IPv6 hostIP is not published on IPv4');
    await c.kubectlOk(['delete', 'pod', 'hostport6', '--wait=false']);
  });

  void it('lets an endpoint reach itself through its Service (hairpin), and rejects Services without endpoints', async () => {
    const [self] = webPods;
    assert.ok(self);
    const clusterIP = (await c.kubectlOk(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    // 20 tries at 1 in 3: missing itself every time has odds of 3 in 10,000.
    const out = await c.kubectlOk(['exec', self, '--', 'sh', '-c', `for i in $(seq 20); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${clusterIP} 80 | tail -n 1; done`]);
    assert.ok(out.split('\n').includes(self), `${self} reached itself: ${out.replace(/\n/g, ' ')}`);

    await c.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'nobody' }, spec: { type: 'NodePort', selector: { app: 'nobody' }, ports: [{ port: 80 }] } }) });
    const emptyIP = (await c.kubectlOk(['get', 'service', 'nobody', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const emptyNodePort = Number(await c.kubectlOk(['get', 'service', 'nobody', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    // Refused at once (TCP reset from the filter chain), not a 2 s timeout.
    await eventually(() => connectError(emptyIP, 80).then((e) => e === 'ECONNREFUSED'), 15_000);
    assert.equal(await connectError('127.0.0.1', emptyNodePort), 'ECONNREFUSED');
  });

  void it('serves a NodePort on 127.0.0.1 and on the node addresses, from the host', async () => {
    const hosts = ['127.0.0.1', otherNodeAddress()].filter((h): h is string => h !== undefined);
    for (const host of hosts) {
      const seen = new Set<string>();
      await eventually(async () => {
        for (const a of await answers(host, nodePort, 10)) seen.add(a);
        return webPods.every((p) => seen.has(p));
      }, 30_000).catch((err: unknown) => assert.fail(`${String(err)}; ${host}:${nodePort} answered ${[...seen].join(', ') || 'nothing'}`));
    }
  });

  void it('resolves Services by name through the cluster DNS, and gives pods their environment variables', async () => {
    const clusterIP = (await c.kubectlOk(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const npIP = (await c.kubectlOk(['get', 'service', 'web-np', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    // The client pod started after both Services existed: it sees them as upstream's docker-links variables.
    const env = await c.kubectlOk(['exec', 'client', '--', 'env']);
    for (const line of [`WEB_SERVICE_HOST=${clusterIP}`, 'WEB_SERVICE_PORT=80', 'WEB_SERVICE_PORT_HTTP=80', `WEB_PORT=tcp://${clusterIP}:80`, `WEB_NP_SERVICE_HOST=${npIP}`, 'WEB_NP_SERVICE_PORT=8080']) {
      assert.ok(env.split('\n').includes(line), `the client pod has ${line}:\n${env}`);
    }
    // A name lookup goes to the kube-dns Service's cluster IP (the pod's resolv.conf), through the proxy, to the DNS
    // server in the tkube server process.
    const dnsIP = (await c.kubectlOk(['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    // Both system components show up as kube-system pods, as users of kubeadm clusters expect.
    await eventually(async () => {
      const pods = await c.kubectlOk(['get', 'pods', '-n', 'kube-system']);
      return [`kube-dns-${node}`, `kube-proxy-${node}`].every((p) => new RegExp(`${p} +1/1 +Running`).test(pods));
    }, 30_000);
    assert.match(await c.kubectlOk(['exec', 'client', '--', 'cat', '/etc/resolv.conf']), new RegExp(`nameserver ${dnsIP.replace(/\./g, '\\.')}`));
    const lookup = await eventually(async () => {
      const r = await c.kubectl(['exec', 'client', '--', 'nslookup', 'web.default.svc.cluster.local']);
      return r.code === 0 && r.stdout.includes(clusterIP) ? r.stdout : undefined;
    }, 30_000).catch((err: unknown) => assert.fail(`${String(err)}: nslookup web.default.svc.cluster.local from a pod`));
    assert.match(lookup, new RegExp(clusterIP.replace(/\./g, '\\.')));
    // Dual-stack: the IPv6 cluster IP answers AAAA questions.
    const ip6 = (await c.kubectlOk(['get', 'service', 'web-dual', '-o', 'jsonpath={.spec.clusterIPs[1]}'])).trim();
    const aaaa = await c.kubectlOk(['exec', 'client', '--', 'nslookup', '-type=AAAA', 'web-dual.default.svc.cluster.local']);
    assert.ok(aaaa.includes(ip6), `AAAA of web-dual is ${ip6}:\n${aaaa}`);
    // The short name through the search path, then an HTTP request by name.
    const out = await c.kubectlOk(['exec', 'client', '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 web 80 | tail -n 1`]);
    assert.ok(webPods.includes(out.trim()), `fetched http://web/ by name: ${out}`);
  });

  void it('gives a LoadBalancer Service an EXTERNAL-IP that answers', async () => {
    await c.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-lb' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'http', port: 18080, targetPort: 8080 }] } }) });
    const external = await eventually(async () => {
      const ip = (await c.kubectlOk(['get', 'service', 'web-lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])).trim();
      return ip === '' ? undefined : ip;
    }, 30_000);
    assert.match(await c.kubectlOk(['get', 'service', 'web-lb']), new RegExp(`LoadBalancer .* ${external.replace(/\./g, '\\.')} `));
    const seen = new Set<string>();
    await eventually(async () => {
      for (const a of await answers(external, 18080, 6)) seen.add(a);
      return seen.size > 0;
    }, 30_000).catch((err: unknown) => assert.fail(`${String(err)}; ${external}:18080 answered nothing`));
    assert.ok([...seen].every((a) => webPods.includes(a)), [...seen].join(', '));
  });

  void it('routes an Ingress host to the Service\'s pods', async () => {
    await c.kubectlOk(['create', 'ingress', 'web', '--rule=web.example/*=web:80']);
    assert.ok(c.ingressHttpPort > 0, 'the ingress proxy listens');
    // (node:http: fetch() does not send a Host header of its own choosing.)
    const fetchHost = (host: string): Promise<{ status: number; body: string } | undefined> =>
      new Promise((resolve) => {
        const req = get({ host: '127.0.0.1', port: c.ingressHttpPort, path: '/', headers: { Host: host }, agent: false, timeout: 2000 }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
        });
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve(undefined));
      });
    const seen = new Set<string>();
    await eventually(async () => {
      for (let i = 0; i < 6; i++) {
        const r = await fetchHost('web.example');
        if (r?.status === 200) seen.add(r.body);
        else seen.add(`status ${r?.status ?? "none"}: ${r?.body.slice(0, 80) ?? ""}`);
      }
      return webPods.every((p) => seen.has(p));
    }, 30_000).catch((err: unknown) => assert.fail(`${String(err)}; the ingress answered ${[...seen].join(', ') || 'nothing'}`));
    assert.equal((await fetchHost('other.example'))?.status, 404);
  });

  void it('stops sending traffic to an endpoint that fails its readiness probe', async () => {
    const [sick, ...healthy] = webPods;
    assert.ok(sick);
    await c.kubectlOk(['exec', sick, '--', 'rm', '/www/ready']);
    // First the API must say so (the pod NotReady, its endpoint not ready in web-np's slices): 15 answers that miss
    // one of three endpoints by chance alone happen once in ~430 polls, and the poll below runs many times.
    const sickIP = (await c.kubectlOk(['get', 'pod', sick, '-o', 'jsonpath={.status.podIP}'])).trim();
    await eventually(async () => {
      const slices = JSON.parse(await c.kubectlOk(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web-np', '-o', 'json'])) as { items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[] };
      const ep = slices.items.flatMap((i) => i.endpoints ?? []).find((e) => e.addresses.includes(sickIP));
      return ep !== undefined && ep.conditions?.ready === false;
    }, 30_000);
    await eventually(async () => {
      const got = await answers('127.0.0.1', nodePort, 15);
      return got.length === 15 && !got.includes(sick);
    }, 30_000);
    const got = await answers('127.0.0.1', nodePort, 30);
    assert.ok(got.every((a) => healthy.includes(a)), `only ${healthy.join(', ')}: ${got.join(', ')}`);
    await c.kubectlOk(['exec', sick, '--', 'touch', '/www/ready']);
    await eventually(async () => (await answers('127.0.0.1', nodePort, 15)).includes(sick), 30_000);
  });

  void it('keeps a client on one endpoint with sessionAffinity ClientIP', async () => {
    await c.kubectlOk(['patch', 'service', 'web-np', '-p', JSON.stringify({ spec: { sessionAffinity: 'ClientIP' } })]);
    await eventually(() => execFileSync('nft', ['list', 'table', 'ip', table]).toString().includes('@aff-'), 15_000);
    const got = await answers('127.0.0.1', nodePort, 20);
    assert.equal(got.length, 20);
    assert.equal(new Set(got).size, 1, `one endpoint: ${got.join(', ')}`);
  });
});
