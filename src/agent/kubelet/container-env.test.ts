import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../base/clock/clock.js';
import type { KubeObject } from '../../api/meta/types.js';
import { FakeObjectSource } from '../testing/fake-object-source.js';
import type { Container, PodView } from '../pod-spec.js';
import { buildContainerEnv, expandCommand } from './container-env.js';
import { expand } from './env-expansion.js';
import { serviceEnv } from './service-env.js';

const node = { cpu: 4, memory: 8 * 2 ** 30 };

function pod(spec: PodView['spec'] = {}): PodView {
  return {
    metadata: { name: 'web', namespace: 'ns1', uid: 'u-1', labels: { app: 'web' }, annotations: { note: 'hi' } },
    spec: { nodeName: 'n1', serviceAccountName: 'default', ...spec },
    status: { podIP: '10.42.0.5', podIPs: [{ ip: '10.42.0.5' }], hostIP: '192.168.1.2', hostIPs: [{ ip: '192.168.1.2' }] },
  };
}

function svc(namespace: string, name: string, clusterIP: string, ports: { name?: string; port: number; protocol?: string }[]): KubeObject {
  return { metadata: { namespace, name }, spec: { clusterIP, ports } } as KubeObject;
}

function asMap(envs: readonly { key: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(envs.map((e) => [e.key, e.value]));
}

void describe('$(VAR) expansion', () => {
  const vars = new Map([['A', 'x'], ['B', 'y']]);
  const look = (n: string): string | undefined => vars.get(n);
  void it('expands known names and keeps unknown ones, escapes and stray dollars as upstream', () => {
    assert.equal(expand('$(A)-$(B)', look), 'x-y');
    assert.equal(expand('$(C)', look), '$(C)');
    assert.equal(expand('$$(A)', look), '$(A)');
    assert.equal(expand('$$$(A)', look), '$x');
    assert.equal(expand('a$b', look), 'a$b');
    assert.equal(expand('$(A', look), '$(A');
    assert.equal(expand('end$', look), 'end$');
    assert.equal(expand('$()', look), '$()');
  });
});

void describe('service environment variables', () => {
  void it('makes the docker-links style variables for every port', () => {
    const env = serviceEnv([svc('ns1', 'my-db', '10.43.0.20', [{ name: 'sql', port: 5432 }, { name: 'metrics', port: 9000, protocol: 'UDP' }])]);
    assert.deepEqual(Object.fromEntries(env), {
      MY_DB_SERVICE_HOST: '10.43.0.20',
      MY_DB_SERVICE_PORT: '5432',
      MY_DB_SERVICE_PORT_SQL: '5432',
      MY_DB_SERVICE_PORT_METRICS: '9000',
      MY_DB_PORT: 'tcp://10.43.0.20:5432',
      MY_DB_PORT_5432_TCP: 'tcp://10.43.0.20:5432',
      MY_DB_PORT_5432_TCP_PROTO: 'tcp',
      MY_DB_PORT_5432_TCP_PORT: '5432',
      MY_DB_PORT_5432_TCP_ADDR: '10.43.0.20',
      MY_DB_PORT_9000_UDP: 'udp://10.43.0.20:9000',
      MY_DB_PORT_9000_UDP_PROTO: 'udp',
      MY_DB_PORT_9000_UDP_PORT: '9000',
      MY_DB_PORT_9000_UDP_ADDR: '10.43.0.20',
    });
    assert.equal(serviceEnv([svc('ns1', 'headless', 'None', [{ port: 80 }])]).size, 0);
  });

  void it('points the variables where a ServiceAddressResolver says the Service is served (process runtime)', () => {
    const resolver = {
      serviceAddress: (ns: string, name: string, port: number, proto: string) => (ns === 'ns1' && name === 'my-db' && proto === 'TCP' && port === 5432 ? { host: '127.0.0.1', port: 41001 } : undefined),
    };
    const env = serviceEnv([svc('ns1', 'my-db', '10.43.0.20', [{ name: 'sql', port: 5432 }, { name: 'metrics', port: 9000, protocol: 'UDP' }])], resolver);
    assert.equal(env.get('MY_DB_SERVICE_HOST'), '127.0.0.1');
    assert.equal(env.get('MY_DB_SERVICE_PORT'), '41001');
    assert.equal(env.get('MY_DB_SERVICE_PORT_SQL'), '41001');
    assert.equal(env.get('MY_DB_PORT'), 'tcp://127.0.0.1:41001');
    assert.equal(env.get('MY_DB_PORT_5432_TCP_ADDR'), '127.0.0.1');
    assert.equal(env.get('MY_DB_PORT_5432_TCP_PORT'), '41001');
    assert.equal(env.get('MY_DB_PORT_9000_UDP'), 'udp://10.43.0.20:9000', 'a port the resolver does not know keeps the cluster IP');
  });
});

void describe('container env', () => {
  const setup = (): FakeObjectSource => {
    const src = new FakeObjectSource(new FakeClock());
    src.configMaps.set('ns1/cfg', { data: { MODE: 'fast', 'bad key': 'x', LEVEL: '3' } });
    src.secrets.set('ns1/creds', { data: { PASSWORD: Buffer.from('s3cret').toString('base64') } });
    src.serviceList.push(svc('ns1', 'backend', '10.43.0.30', [{ port: 8080 }]), svc('default', 'kubernetes', '10.43.0.1', [{ name: 'https', port: 443 }]), svc('default', 'other', '10.43.0.9', [{ port: 1 }]));
    return src;
  };

  void it('resolves values, references, downward fields, envFrom and service links in upstream order', async () => {
    const src = setup();
    const c: Container = {
      name: 'app',
      resources: { limits: { cpu: '500m', memory: '128Mi' } },
      envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' } }],
      env: [
        { name: 'GREETING', value: 'mode=$(CFG_MODE) svc=$(BACKEND_SERVICE_HOST) $(NOPE) $$(CFG_MODE)' },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
        { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
        { name: 'CPU_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'REQ_CPU', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'LVL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LEVEL' } } },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
        { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'missing', key: 'x', optional: true } } },
      ],
    };
    const r = await buildContainerEnv(pod(), c, src, node);
    assert.equal(r.error, undefined);
    if (r.error !== undefined) return;
    const env = asMap(r.envs);
    assert.equal(env['CFG_MODE'], 'fast');
    assert.equal(env['PASSWORD'], 's3cret');
    assert.equal(env['GREETING'], 'mode=fast svc=10.43.0.30 $(NOPE) $(CFG_MODE)');
    assert.equal(env['POD'], 'web');
    assert.equal(env['APP'], 'web');
    assert.equal(env['IPS'], '10.42.0.5');
    assert.equal(env['HOST'], '192.168.1.2');
    assert.equal(env['NODE'], 'n1');
    assert.equal(env['SA'], 'default');
    assert.equal(env['CPU_M'], '500');
    assert.equal(env['CPU'], '1');
    assert.equal(env['MEM_MI'], '128');
    assert.equal(env['REQ_CPU'], '500');
    assert.equal(env['LVL'], '3');
    assert.equal(env['PW'], 's3cret');
    assert.equal('OPT' in env, false);
    assert.equal(env['BACKEND_SERVICE_PORT'], '8080');
    assert.equal(env['KUBERNETES_SERVICE_HOST'], '10.43.0.1');
    assert.equal(env['KUBERNETES_PORT_443_TCP'], 'tcp://10.43.0.1:443');
    assert.equal('OTHER_SERVICE_HOST' in env, false, 'only kubernetes comes from default');
    assert.deepEqual(r.warnings, ['Keys [CFG_bad key] from the EnvFrom configMap ns1/cfg were skipped since they are considered invalid environment variable names.']);
    assert.deepEqual(expandCommand(['echo', '$(POD)', '$(CFG_MODE)'], r.envs), ['echo', 'web', 'fast']);
  });

  void it('uses the node allocatable for an unset limit', async () => {
    const r = await buildContainerEnv(pod(), { name: 'app', env: [{ name: 'C', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }, { name: 'M', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Gi' } } }] }, setup(), node);
    assert.ok(r.error === undefined);
    assert.equal(asMap(r.envs)['C'], '4');
    assert.equal(asMap(r.envs)['M'], '8');
  });

  void it('leaves out service links when enableServiceLinks is false, except kubernetes', async () => {
    const r = await buildContainerEnv(pod({ enableServiceLinks: false }), { name: 'app' }, setup(), node);
    assert.ok(r.error === undefined);
    const env = asMap(r.envs);
    assert.equal(env['KUBERNETES_SERVICE_HOST'], '10.43.0.1');
    assert.equal('BACKEND_SERVICE_HOST' in env, false);
  });

  void it('fails with upstream messages for missing objects and keys', async () => {
    const src = setup();
    const one = async (c: Container): Promise<string | undefined> => (await buildContainerEnv(pod(), c, src, node)).error;
    assert.equal(await one({ name: 'a', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] }), 'configmap "nope" not found');
    assert.equal(await one({ name: 'a', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] }), 'secret "nope" not found');
    assert.equal(await one({ name: 'a', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }), "couldn't find key k in ConfigMap ns1/cfg");
    assert.equal(await one({ name: 'a', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] }), "couldn't find key k in Secret ns1/creds");
    assert.equal(await one({ name: 'a', envFrom: [{ configMapRef: { name: 'gone' } }] }), 'configmap "gone" not found');
    assert.equal(await one({ name: 'a', envFrom: [{ secretRef: { name: 'gone', optional: true } }] }), undefined);
    assert.equal(await one({ name: 'a', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k', optional: true } } }] }), undefined);
  });
});
