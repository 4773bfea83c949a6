import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../api/meta/types.js';
import { ClassSelector, defaultIngressClass, INGRESS_CONTROLLER_NAME } from './ingress-class.js';
import { buildRoutingTable, normalizeHost, pathMatches, type RoutingInputs } from './routing-table.js';

interface PathSpec {
  path?: string;
  pathType?: string;
  svc: string;
  port?: number | string;
}

function ingress(name: string, rules: { host?: string; paths: PathSpec[] }[], extra: { className?: string; created?: string; defaultBackend?: string; ns?: string } = {}): KubeObject {
  const backend = (svc: string, port: number | string = 80): unknown => ({ service: { name: svc, port: typeof port === 'number' ? { number: port } : { name: port } } });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: extra.ns ?? 'default', creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z' },
    spec: {
      ...(extra.className ? { ingressClassName: extra.className } : {}),
      ...(extra.defaultBackend ? { defaultBackend: backend(extra.defaultBackend) } : {}),
      rules: rules.map((r) => ({
        ...(r.host !== undefined ? { host: r.host } : {}),
        http: { paths: r.paths.map((p) => ({ path: p.path ?? '/', pathType: p.pathType ?? 'Prefix', backend: backend(p.svc, p.port) })) },
      })),
    },
  } as KubeObject;
}

function service(name: string, ports: { name?: string; port: number }[] = [{ port: 80 }], ns = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { ports } } as KubeObject;
}

function slice(svc: string, ips: string[], port: number, opts: { portName?: string; notReady?: string[] } = {}): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: [{ ...(opts.portName ? { name: opts.portName } : {}), port, protocol: 'TCP' }],
    endpoints: [...ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })), ...(opts.notReady ?? []).map((ip) => ({ addresses: [ip], conditions: { ready: false } }))],
  } as KubeObject;
}

const OUR_CLASSES = new ClassSelector([defaultIngressClass()]);

function table(ingresses: KubeObject[], extra: Partial<RoutingInputs> = {}): ReturnType<typeof buildRoutingTable> {
  const names = ['a', 'b', 'c', 'd', 'e', 'wild', 'any', 'def', 'old', 'new'];
  return buildRoutingTable({
    ingresses,
    services: names.map((n) => service(n)),
    endpointSlices: names.map((n, i) => slice(n, [`10.0.0.${i + 1}`], 8080)),
    classes: OUR_CLASSES,
    ...extra,
  });
}

const svcOf = (t: ReturnType<typeof buildRoutingTable>, host: string, path: string): string | undefined => t.match(host, path)?.backend.service;

void describe('ingress routing table', () => {
  void it('normalizes Host headers and matches Prefix by whole path elements', () => {
    assert.equal(normalizeHost('Foo.Example.COM:8080'), 'foo.example.com');
    assert.equal(normalizeHost('example.com.'), 'example.com');
    assert.equal(normalizeHost('[::1]:80'), '::1');
    assert.equal(pathMatches('Prefix', '/foo', '/foo'), true);
    assert.equal(pathMatches('Prefix', '/foo', '/foo/'), true);
    assert.equal(pathMatches('Prefix', '/foo', '/foo/bar'), true);
    assert.equal(pathMatches('Prefix', '/foo', '/foobar'), false);
    assert.equal(pathMatches('Prefix', '/foo/', '/foo'), true);
    assert.equal(pathMatches('Prefix', '/', '/anything'), true);
    assert.equal(pathMatches('Exact', '/foo', '/foo'), true);
    assert.equal(pathMatches('Exact', '/foo', '/foo/'), false);
  });

  void it('routes two hosts to two Services and answers 404 for an unknown host', () => {
    const t = table([ingress('two', [{ host: 'a.example.com', paths: [{ svc: 'a' }] }, { host: 'b.example.com', paths: [{ svc: 'b' }] }])]);
    assert.equal(svcOf(t, 'a.example.com', '/'), 'a');
    assert.equal(svcOf(t, 'B.example.com:80', '/x'), 'b');
    assert.equal(t.match('c.example.com', '/'), undefined);
    assert.deepEqual(t.match('a.example.com', '/')?.backend.endpoints, [{ host: '10.0.0.1', port: 8080 }]);
  });

  void it('prefers an exact host over a wildcard, and a wildcard over rules without host; a wildcard covers one label', () => {
    const t = table([
      ingress('i', [
        { host: '*.example.com', paths: [{ svc: 'wild' }] },
        { host: 'a.example.com', paths: [{ svc: 'a' }] },
        { paths: [{ svc: 'any' }] },
      ]),
    ]);
    assert.equal(svcOf(t, 'a.example.com', '/'), 'a');
    assert.equal(svcOf(t, 'x.example.com', '/'), 'wild');
    assert.equal(svcOf(t, 'y.x.example.com', '/'), 'any');
    assert.equal(svcOf(t, 'example.com', '/'), 'any');
  });

  void it('falls through to less specific hosts, then to the default backend, when no path matches', () => {
    const t = table([ingress('i', [{ host: 'a.example.com', paths: [{ path: '/api', svc: 'a' }] }, { paths: [{ path: '/static', svc: 'any' }] }], { defaultBackend: 'def' })]);
    assert.equal(svcOf(t, 'a.example.com', '/api/v1'), 'a');
    assert.equal(svcOf(t, 'a.example.com', '/static/x.css'), 'any');
    assert.equal(svcOf(t, 'a.example.com', '/other'), 'def');
    assert.equal(t.match('a.example.com', '/other')?.route, undefined);
  });

  void it('picks the longest path, Exact before Prefix at equal length, ImplementationSpecific as Prefix', () => {
    const t = table([
      ingress('i', [
        {
          host: 'h',
          paths: [
            { path: '/', svc: 'a' },
            { path: '/foo', svc: 'b' },
            { path: '/foo', pathType: 'Exact', svc: 'c' },
            { path: '/foo/bar', pathType: 'ImplementationSpecific', svc: 'd' },
          ],
        },
      ]),
    ]);
    assert.equal(svcOf(t, 'h', '/foo'), 'c');
    assert.equal(svcOf(t, 'h', '/foo/'), 'b');
    assert.equal(svcOf(t, 'h', '/foo/bar/baz'), 'd');
    assert.equal(svcOf(t, 'h', '/foobar'), 'a');
  });

  void it('lets the oldest Ingress win a host and path claimed twice', () => {
    const t = table([ingress('newer', [{ host: 'h', paths: [{ svc: 'new' }] }], { created: '2026-02-01T00:00:00Z' }), ingress('older', [{ host: 'h', paths: [{ svc: 'old' }] }], { created: '2026-01-01T00:00:00Z' })]);
    assert.equal(svcOf(t, 'h', '/'), 'old');
  });

  void it('serves only Ingresses of our class, and class-less ones only while our class is the default', () => {
    const other = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } } as KubeObject;
    const ings = [ingress('mine', [{ host: 'm', paths: [{ svc: 'a' }] }], { className: 'tkube' }), ingress('theirs', [{ host: 't', paths: [{ svc: 'b' }] }], { className: 'nginx' }), ingress('none', [{ host: 'n', paths: [{ svc: 'c' }] }])];
    const t = table(ings, { classes: new ClassSelector([defaultIngressClass(), other]) });
    assert.equal(svcOf(t, 'm', '/'), 'a');
    assert.equal(t.match('t', '/'), undefined);
    assert.equal(svcOf(t, 'n', '/'), 'c');
    const notDefault = { ...defaultIngressClass(), metadata: { name: 'tkube' }, spec: { controller: INGRESS_CONTROLLER_NAME } } as KubeObject;
    const t2 = table(ings, { classes: new ClassSelector([notDefault, other]) });
    assert.equal(svcOf(t2, 'm', '/'), 'a');
    assert.equal(t2.match('n', '/'), undefined);
  });

  void it('resolves named ports through the Service, keeps only ready endpoints, and has none for a missing Service', () => {
    const t = buildRoutingTable({
      ingresses: [ingress('i', [{ host: 'h', paths: [{ svc: 'web', port: 'http' }, { path: '/gone', svc: 'missing' }] }])],
      services: [service('web', [{ name: 'metrics', port: 9090 }, { name: 'http', port: 80 }])],
      endpointSlices: [slice('web', ['10.1.0.1', '10.1.0.2'], 8080, { portName: 'http', notReady: ['10.1.0.3'] }), slice('web', ['10.1.0.9'], 9100, { portName: 'metrics' })],
      classes: OUR_CLASSES,
    });
    assert.deepEqual(t.match('h', '/')?.backend.endpoints, [
      { host: '10.1.0.1', port: 8080 },
      { host: '10.1.0.2', port: 8080 },
    ]);
    assert.deepEqual(t.match('h', '/gone')?.backend.endpoints, []);
  });

  void it('turns an annotated Ingress\'s paths into anchored case-insensitive regexes with a rewrite; Exact stays exact', () => {
    const ing = ingress('rw', [{ host: 'a.test', paths: [{ path: '/api(/|$)(.*)', svc: 'a' }, { path: '/exact', pathType: 'Exact', svc: 'a' }] }]);
    ing.metadata = { ...(ing.metadata ?? {}), annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/$2', 'nginx.ingress.kubernetes.io/backend-protocol': 'https' } };
    const t = table([ing]);
    const m = t.match('a.test', '/API/v1');
    assert.equal(m?.route?.rewriteTarget, '/$2');
    assert.equal(m?.route?.backendProtocol, 'HTTPS');
    assert.equal(t.match('a.test', '/apiary'), undefined);
    assert.equal(t.match('a.test', '/exact')?.route?.regex, undefined);
    assert.equal(t.match('a.test', '/exact/more'), undefined);
  });
});
