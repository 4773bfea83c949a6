import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../api/meta/status-error.js';
import { resolveRequestInfo } from './request-info-resolver.js';

interface Want {
  verb: string;
  resource?: boolean;
  prefix?: string;
  group?: string;
  version?: string;
  ns?: string;
  res?: string;
  sub?: string;
  name?: string;
  parts?: string[];
}

const cases: [string, string, Want][] = [
  // Non-resource paths.
  ['GET', '/healthz', { verb: 'get', resource: false }],
  ['GET', '/api', { verb: 'get', resource: false }],
  ['GET', '/api/v1', { verb: 'get', resource: false }],
  ['GET', '/apis', { verb: 'get', resource: false }],
  ['GET', '/apis/apps', { verb: 'get', resource: false }],
  ['GET', '/apis/apps/v1', { verb: 'get', resource: false }],
  ['POST', '/openapi/v3/apis/apps/v1', { verb: 'post', resource: false }],
  ['GET', '/other/api/v1/pods', { verb: 'get', resource: false }],
  // Cluster-scoped and all-namespace collections.
  ['GET', '/api/v1/pods', { verb: 'list', prefix: 'api', version: 'v1', res: 'pods', parts: ['pods'] }],
  ['GET', '/api/v1/pods?watch=true', { verb: 'watch', res: 'pods' }],
  ['GET', '/api/v1/pods?watch=1', { verb: 'watch', res: 'pods' }],
  ['GET', '/api/v1/pods?watch=false', { verb: 'list', res: 'pods' }],
  ['GET', '/api/v1/pods?watch=0', { verb: 'list', res: 'pods' }],
  ['GET', '/api/v1/nodes/n1', { verb: 'get', res: 'nodes', name: 'n1' }],
  ['PUT', '/api/v1/nodes/n1/status', { verb: 'update', res: 'nodes', name: 'n1', sub: 'status' }],
  ['GET', '/apis/apps/v1/deployments', { verb: 'list', prefix: 'apis', group: 'apps', version: 'v1', res: 'deployments' }],
  // Namespaced resources.
  ['GET', '/api/v1/namespaces/default/pods', { verb: 'list', ns: 'default', res: 'pods' }],
  ['GET', '/api/v1/namespaces/default/pods/p1', { verb: 'get', ns: 'default', res: 'pods', name: 'p1', parts: ['pods', 'p1'] }],
  ['GET', '/api/v1/namespaces/default/pods/p1?watch=true', { verb: 'get', ns: 'default', res: 'pods', name: 'p1' }],
  ['POST', '/api/v1/namespaces/default/pods', { verb: 'create', ns: 'default', res: 'pods' }],
  ['PUT', '/api/v1/namespaces/default/pods/p1', { verb: 'update', ns: 'default', res: 'pods', name: 'p1' }],
  ['PATCH', '/api/v1/namespaces/default/pods/p1/status', { verb: 'patch', ns: 'default', res: 'pods', name: 'p1', sub: 'status' }],
  ['DELETE', '/api/v1/namespaces/default/pods/p1', { verb: 'delete', ns: 'default', res: 'pods', name: 'p1' }],
  ['DELETE', '/api/v1/namespaces/default/pods', { verb: 'deletecollection', ns: 'default', res: 'pods' }],
  ['HEAD', '/api/v1/namespaces/default/pods/p1', { verb: 'get', ns: 'default', res: 'pods', name: 'p1' }],
  ['OPTIONS', '/api/v1/namespaces/default/pods', { verb: '', ns: 'default', res: 'pods' }],
  ['POST', '/api/v1/namespaces/default/pods/p1/exec', { verb: 'create', ns: 'default', res: 'pods', name: 'p1', sub: 'exec' }],
  ['POST', '/apis/apps/v1/namespaces/ns/deployments/d/scale', { verb: 'create', group: 'apps', ns: 'ns', res: 'deployments', name: 'd', sub: 'scale' }],
  ['GET', '/api/v1/namespaces/ns/pods/p/log?follow=true', { verb: 'get', ns: 'ns', res: 'pods', name: 'p', sub: 'log' }],
  // The namespace object itself.
  ['GET', '/api/v1/namespaces', { verb: 'list', res: 'namespaces' }],
  ['GET', '/api/v1/namespaces/ns1', { verb: 'get', ns: 'ns1', res: 'namespaces', name: 'ns1', parts: ['namespaces', 'ns1'] }],
  ['PUT', '/api/v1/namespaces/ns1/status', { verb: 'update', ns: 'ns1', res: 'namespaces', name: 'ns1', sub: 'status' }],
  ['PUT', '/api/v1/namespaces/ns1/finalize', { verb: 'update', ns: 'ns1', res: 'namespaces', name: 'ns1', sub: 'finalize' }],
  ['DELETE', '/api/v1/namespaces/ns1', { verb: 'delete', ns: 'ns1', res: 'namespaces', name: 'ns1' }],
  // Deprecated watch paths.
  ['GET', '/api/v1/watch/pods', { verb: 'watch', res: 'pods' }],
  ['GET', '/api/v1/watch/namespaces/ns/pods', { verb: 'watch', ns: 'ns', res: 'pods' }],
  ['GET', '/api/v1/watch/namespaces/ns/pods/p1', { verb: 'watch', ns: 'ns', res: 'pods', name: 'p1' }],
  ['GET', '/api/v1/watch/namespaces/ns1', { verb: 'watch', ns: 'ns1', res: 'namespaces', name: 'ns1' }],
  ['GET', '/apis/apps/v1/watch/namespaces/ns/deployments', { verb: 'watch', group: 'apps', ns: 'ns', res: 'deployments' }],
  // Proxy paths.
  ['GET', '/api/v1/proxy/namespaces/ns/pods/p1/some/path', { verb: 'proxy', ns: 'ns', res: 'pods', name: 'p1', sub: '', parts: ['pods', 'p1', 'some', 'path'] }],
  ['GET', '/api/v1/namespaces/ns/pods/p1/proxy/a/b', { verb: 'get', ns: 'ns', res: 'pods', name: 'p1', sub: 'proxy', parts: ['pods', 'p1', 'proxy', 'a', 'b'] }],
  ['GET', '/api/v1/namespaces/ns/services/https:s:443/proxy/', { verb: 'get', ns: 'ns', res: 'services', name: 'https:s:443', sub: 'proxy' }],
  // Field selector on metadata.name names the object for authorization.
  ['GET', '/api/v1/namespaces/ns/pods?fieldSelector=metadata.name%3Dp1', { verb: 'list', ns: 'ns', res: 'pods', name: 'p1' }],
  ['GET', '/api/v1/namespaces/ns/pods?watch=true&fieldSelector=metadata.name%3D%3Dp1', { verb: 'watch', ns: 'ns', res: 'pods', name: 'p1' }],
  ['GET', '/api/v1/namespaces/ns/pods?fieldSelector=metadata.name!%3Dp1', { verb: 'list', ns: 'ns', res: 'pods', name: '' }],
  ['GET', '/api/v1/namespaces/ns/pods?fieldSelector=metadata.name%3Da%2Fb', { verb: 'list', ns: 'ns', res: 'pods', name: '' }],
  // Trailing slashes and escapes.
  ['GET', '/api/v1/namespaces/default/pods/', { verb: 'list', ns: 'default', res: 'pods' }],
  ['GET', '/api/v1/namespaces/default/configmaps/a%3Ab', { verb: 'get', ns: 'default', res: 'configmaps', name: 'a:b' }],
];

test('resolveRequestInfo() parses URLs as upstream does', () => {
  for (const [method, target, want] of cases) {
    const info = resolveRequestInfo(method, new URL(`https://h${target}`));
    const label = `${method} ${target}`;
    assert.equal(info.verb, want.verb, label);
    assert.equal(info.isResourceRequest, want.resource ?? true, label);
    if (!info.isResourceRequest) {
      assert.equal(info.path, new URL(`https://h${target}`).pathname, label);
      continue;
    }
    assert.equal(info.apiPrefix, want.prefix ?? (want.group ? 'apis' : 'api'), label);
    assert.equal(info.apiGroup, want.group ?? '', label);
    assert.equal(info.apiVersion, want.version ?? 'v1', label);
    assert.equal(info.namespace, want.ns ?? '', label);
    assert.equal(info.resource, want.res ?? '', label);
    assert.equal(info.subresource, want.sub ?? '', label);
    assert.equal(info.name, want.name ?? '', label);
    if (want.parts) assert.deepEqual(info.parts, want.parts, label);
  }
});

test('resolveRequestInfo() rejects bad escapes and bare special verbs with 400', () => {
  for (const target of ['/api/v1/namespaces/%zz/pods', '/api/v1/pods/%E0%A4%A', '/api/v1/watch']) {
    assert.throws(
      () => resolveRequestInfo('GET', new URL(`https://h${target}`)),
      (err: unknown) => err instanceof StatusError && err.status.code === 400,
      target,
    );
  }
});
