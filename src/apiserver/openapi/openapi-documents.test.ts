import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_RESOURCES, type ResourceInfo } from '../../api/scheme.js';
import { builtinSchemas } from '../../api/schema/schema-registry.js';
import type { GroupVersionKind, SchemaLookup } from '../../api/schema/types.js';
import type { DiscoveryProvider, OpenApiProvider } from '../server.js';
import { DiscoveryDocuments } from '../discovery/discovery-documents.js';
import { OpenApiDocuments } from './openapi-documents.js';

type Json = Record<string, unknown>;

function parse(doc: { json: string } | undefined): Json {
  assert.ok(doc !== undefined, 'document exists');
  return JSON.parse(doc.json) as Json;
}

function obj(value: unknown): Json {
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `expected an object, got ${JSON.stringify(value)}`);
  return value as Json;
}

/** Every `$ref` in a value, depth first. */
function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

function queryNames(op: Json): string[] {
  return ((op['parameters'] ?? []) as Json[]).filter((p) => p['in'] === 'query').map((p) => String(p['name']));
}


void describe('OpenApiDocuments', () => {
  const docs = new OpenApiDocuments({ resources: BUILTIN_RESOURCES, schemas: builtinSchemas() });

  void it('fits the providers the API server serves', () => {
    // Compile-time checks of the contracts in server.ts.
    const openApi: OpenApiProvider = docs;
    const discovery: DiscoveryProvider = new DiscoveryDocuments({ resources: BUILTIN_RESOURCES });
    assert.equal(openApi.v3('apis/apps/v1'), docs.v3Document('apis/apps/v1'));
    assert.ok(discovery.apiGroup('apps') !== undefined);
  });

  void it('v3Index() names a document per group/version and discovery root, with its hash', () => {
    const index = parse(docs.v3Index());
    const paths = obj(index['paths']);
    for (const p of ['api', 'api/v1', 'apis', 'apis/apps', 'apis/apps/v1', 'apis/autoscaling/v1', 'apis/autoscaling/v2']) {
      const entry = obj(paths[p]);
      const doc = docs.v3Document(p);
      assert.equal(entry['serverRelativeURL'], `/openapi/v3/${p}?hash=${doc?.hash}`);
    }
    assert.match(String(obj(paths['api/v1'])['serverRelativeURL']), /\?hash=[0-9A-F]{128}$/);
  });

  void it('v3Document() returns undefined for unknown paths', () => {
    for (const p of ['apis/apps/v2', 'apis/nope', 'api/v2', 'apis', 'x', '']) {
      assert.equal(docs.v3Document(p) === undefined, p !== 'apis', p);
    }
  });

  void it('a group/version document publishes the operations of each resource', () => {
    const doc = parse(docs.v3Document('apis/apps/v1'));
    assert.equal(doc['openapi'], '3.0.0');
    assert.equal(obj(doc['info'])['title'], 'Kubernetes');
    const paths = obj(doc['paths']);
    const collection = obj(paths['/apis/apps/v1/namespaces/{namespace}/deployments']);
    const item = obj(paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']);
    const gvk = { group: 'apps', kind: 'Deployment', version: 'v1' };

    const patch = obj(item['patch']);
    assert.equal(patch['operationId'], 'patchAppsV1NamespacedDeployment');
    assert.equal(patch['x-kubernetes-action'], 'patch');
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], gvk);
    assert.deepEqual(queryNames(patch), ['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    assert.deepEqual(Object.keys(obj(obj(patch['requestBody'])['content'])).sort(), [
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
    ]);

    const post = obj(collection['post']);
    assert.equal(post['x-kubernetes-action'], 'post');
    assert.deepEqual(queryNames(post), ['dryRun', 'fieldManager', 'fieldValidation']);
    assert.deepEqual(queryNames(obj(item['put'])), ['dryRun', 'fieldManager', 'fieldValidation']);
    assert.equal(obj(collection['get'])['x-kubernetes-action'], 'list');
    assert.ok(queryNames(obj(collection['get'])).includes('watch'));
    assert.equal(obj(collection['delete'])['x-kubernetes-action'], 'deletecollection');
    assert.equal(obj(item['get'])['operationId'], 'readAppsV1NamespacedDeployment');
    assert.equal(obj(item['delete'])['x-kubernetes-action'], 'delete');
    assert.equal(obj(obj(paths['/apis/apps/v1/deployments'])['get'])['operationId'], 'listAppsV1DeploymentForAllNamespaces');
    assert.equal(obj(obj(paths['/apis/apps/v1/watch/namespaces/{namespace}/deployments/{name}'])['get'])['x-kubernetes-action'], 'watch');
    assert.equal(obj(obj(paths['/apis/apps/v1/watch/namespaces/{namespace}/deployments'])['get'])['x-kubernetes-action'], 'watchlist');

    const scalePatch = obj(obj(paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'])['patch']);
    assert.deepEqual(scalePatch['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
    const statusPut = obj(obj(paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status'])['put']);
    assert.equal(statusPut['operationId'], 'replaceAppsV1NamespacedDeploymentStatus');
    assert.deepEqual(statusPut['x-kubernetes-group-version-kind'], gvk);
  });

  void it('core documents publish connect and log subresources', () => {
    const paths = obj(parse(docs.v3Document('api/v1'))['paths']);
    const exec = obj(obj(paths['/api/v1/namespaces/{namespace}/pods/{name}/exec'])['get']);
    assert.equal(exec['operationId'], 'connectCoreV1GetNamespacedPodExec');
    assert.equal(exec['x-kubernetes-action'], 'connect');
    assert.ok(queryNames(exec).includes('command'));
    const log = obj(obj(paths['/api/v1/namespaces/{namespace}/pods/{name}/log'])['get']);
    assert.ok(queryNames(log).includes('follow'));
    const eviction = obj(obj(paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'])['post']);
    assert.deepEqual(eviction['x-kubernetes-group-version-kind'], { group: 'policy', kind: 'Eviction', version: 'v1' });
    assert.equal(obj(obj(paths['/api/v1/nodes/{name}'])['get'])['operationId'], 'readCoreV1Node');
    const nodeProxy = obj(obj(paths['/api/v1/nodes/{name}/proxy'])['patch']);
    assert.deepEqual(nodeProxy['x-kubernetes-group-version-kind'], { group: '', kind: 'NodeProxyOptions', version: 'v1' });
  });

  void it('every PATCH operation lists fieldValidation (kubectl checks the first one of a kind)', () => {
    for (const path of docs.v3Paths()) {
      const paths = obj(parse(docs.v3Document(path))['paths']);
      for (const [p, item] of Object.entries(paths)) {
        const patch = obj(item)['patch'];
        if (patch === undefined || obj(patch)['x-kubernetes-action'] === 'connect') continue;
        assert.ok(queryNames(obj(patch)).includes('fieldValidation'), `${p} PATCH lists fieldValidation`);
        assert.ok(obj(patch)['x-kubernetes-group-version-kind'] !== undefined, `${p} PATCH has a GVK`);
      }
    }
  });

  void it('every reference resolves and every kind schema carries its group/version/kind', () => {
    for (const path of docs.v3Paths()) {
      const doc = parse(docs.v3Document(path));
      const schemas = obj(obj(doc['components'])['schemas']);
      for (const ref of refsIn(doc)) {
        assert.ok(ref.startsWith('#/components/schemas/'), ref);
        assert.ok(schemas[ref.slice('#/components/schemas/'.length)] !== undefined, `${path}: ${ref} resolves`);
      }
    }
    const schemas = obj(obj(parse(docs.v3Document('apis/apps/v1'))['components'])['schemas']);
    const gvkOf = (name: string): unknown => obj(schemas[name])['x-kubernetes-group-version-kind'];
    assert.deepEqual(gvkOf('io.k8s.api.apps.v1.Deployment'), [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    assert.deepEqual(gvkOf('io.k8s.api.apps.v1.DeploymentList'), [{ group: 'apps', kind: 'DeploymentList', version: 'v1' }]);
    assert.ok(schemas['io.k8s.api.autoscaling.v1.Scale'] !== undefined);
    assert.ok(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'] !== undefined);
    assert.deepEqual(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Time'], { type: 'string', format: 'date-time' });
    const containers = obj(obj(obj(schemas['io.k8s.api.core.v1.PodSpec'])['properties'])['containers']);
    assert.equal(containers['type'], 'array');
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(containers['x-kubernetes-list-type'], 'map');
    assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
  });

  void it('v2() is one Swagger 2.0 document whose references all resolve', () => {
    const doc = parse(docs.v2());
    assert.equal(doc['swagger'], '2.0');
    const definitions = obj(doc['definitions']);
    for (const ref of refsIn(doc)) {
      assert.ok(ref.startsWith('#/definitions/'), ref);
      assert.ok(definitions[ref.slice('#/definitions/'.length)] !== undefined, `${ref} resolves`);
    }
    const patch = obj(obj(obj(doc['paths'])['/api/v1/namespaces/{namespace}/pods/{name}'])['patch']);
    assert.deepEqual(queryNames(patch), ['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    assert.ok((patch['consumes'] as string[]).includes('application/strategic-merge-patch+json'));
    assert.deepEqual(obj(definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'])['type'], 'string');
  });

  void it('is lazy: a cold instance reads no schema, and one document builds only what it needs', () => {
    const asked: string[] = [];
    const real = builtinSchemas();
    const counting: SchemaLookup = {
      type: (name) => (asked.push(name), real.type(name)),
      kind: (gvk: GroupVersionKind) => (asked.push(`${gvk.group}/${gvk.version}/${gvk.kind}`), real.kind(gvk)),
    };
    const cold = new OpenApiDocuments({ resources: BUILTIN_RESOURCES, schemas: counting });
    assert.equal(asked.length, 0);
    const first = cold.v3Document('apis/coordination.k8s.io/v1');
    assert.ok(asked.length > 0);
    assert.ok(!asked.some((n) => n.startsWith('io.k8s.api.apps.')), 'apps types are not read for coordination');
    const count = asked.length;
    assert.equal(cold.v3Document('apis/coordination.k8s.io/v1'), first);
    assert.equal(asked.length, count, 'the second request is served from the cache');
  });

  void it('builds every document well under a second', () => {
    const fresh = new OpenApiDocuments({ resources: BUILTIN_RESOURCES, schemas: builtinSchemas() });
    // CPU time of this process, so that other test files running in parallel do not count against us.
    const start = process.cpuUsage();
    fresh.v3Index();
    fresh.v2();
    const used = process.cpuUsage(start);
    const ms = (used.user + used.system) / 1000;
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms of CPU`);
  });

  void it('setResources() adds custom resources without a schema', () => {
    const local = new OpenApiDocuments({ resources: BUILTIN_RESOURCES, schemas: builtinSchemas() });
    const before = local.v3Index();
    const crontab: ResourceInfo = {
      group: 'stable.example.com',
      version: 'v1',
      kind: 'CronTab',
      resource: 'crontabs',
      singular: 'crontab',
      namespaced: true,
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    };
    local.setResources([...BUILTIN_RESOURCES, crontab]);
    const index = obj(parse(local.v3Index())['paths']);
    assert.notEqual(local.v3Index(), before);
    assert.ok(index['apis/stable.example.com/v1'] !== undefined);
    const doc = parse(local.v3Document('apis/stable.example.com/v1'));
    const schemas = obj(obj(doc['components'])['schemas']);
    assert.deepEqual(schemas['com.example.stable.v1.CronTab'], {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      'x-kubernetes-group-version-kind': [{ group: 'stable.example.com', kind: 'CronTab', version: 'v1' }],
    });
    assert.ok(schemas['com.example.stable.v1.CronTabList'] !== undefined);
    const patch = obj(obj(obj(doc['paths'])['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}'])['patch']);
    assert.ok(!Object.keys(obj(obj(patch['requestBody'])['content'])).includes('application/strategic-merge-patch+json'));
    assert.ok(queryNames(patch).includes('fieldValidation'));
  });

  void it('publishes the schemas custom resources supply', () => {
    const widget: ResourceInfo = {
      group: 'example.io',
      version: 'v1',
      kind: 'Widget',
      resource: 'widgets',
      singular: 'widget',
      namespaced: false,
      verbs: ['get', 'patch'],
    };
    const schema = { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } };
    const local = new OpenApiDocuments({
      resources: [widget],
      schemas: builtinSchemas(),
      customResourceSchemas: { schema: (gvk) => (gvk.kind === 'Widget' ? schema : undefined) },
    });
    const schemas = obj(obj(parse(local.v3Document('/apis/example.io/v1/'))['components'])['schemas']);
    assert.deepEqual(schemas['io.example.v1.Widget'], {
      ...schema,
      'x-kubernetes-group-version-kind': [{ group: 'example.io', kind: 'Widget', version: 'v1' }],
    });
    assert.equal(Object.keys(schema).length, 2, 'the supplied schema is not modified');
  });
});
