/**
 * Discovery, OpenAPI, version, health and metrics as real kubectl (and an unauthenticated HTTPS client) see them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../harness/test-cluster.js';

/** tableRows splits kubectl's column output into header names and rows keyed by them (columns found by header offsets). */
function tableRows(out: string): Record<string, string>[] {
  const lines = out.split('\n').filter((l) => l.trim().length > 0);
  const header = lines[0] ?? '';
  const starts: { name: string; at: number }[] = [];
  for (const m of header.matchAll(/\S+(?: \S+)*/g)) starts.push({ name: m[0], at: m.index });
  return lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    starts.forEach((col, i) => {
      const end = starts[i + 1]?.at ?? line.length;
      row[col.name] = line.slice(col.at, end).trim();
    });
    return row;
  });
}

void describe('kubectl discovery, explain, version, health and metrics', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start();
  });

  after(async () => {
    await cluster?.stop();
  });

  void it('api-resources lists core and apps resources with short names, API versions, scope and kind', async () => {
    const out = await cluster.kubectlOk(['api-resources']);
    const header = out.split('\n')[0] ?? '';
    for (const col of ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']) assert.match(header, new RegExp(`\\b${col}\\b`));
    const rows = tableRows(out);
    const expect: [string, string, string, string, string][] = [
      ['pods', 'po', 'v1', 'true', 'Pod'],
      ['services', 'svc', 'v1', 'true', 'Service'],
      ['namespaces', 'ns', 'v1', 'false', 'Namespace'],
      ['configmaps', 'cm', 'v1', 'true', 'ConfigMap'],
      ['nodes', 'no', 'v1', 'false', 'Node'],
      ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment'],
      ['replicasets', 'rs', 'apps/v1', 'true', 'ReplicaSet'],
      ['jobs', '', 'batch/v1', 'true', 'Job'],
    ];
    for (const [name, short, apiVersion, namespaced, kind] of expect) {
      const row = rows.find((r) => r.NAME === name && r.APIVERSION === apiVersion);
      assert.ok(row, `api-resources has no row for ${name} (${apiVersion}):\n${out}`);
      assert.equal(row.SHORTNAMES, short, `short names of ${name}`);
      assert.equal(row.NAMESPACED, namespaced, `scope of ${name}`);
      assert.equal(row.KIND, kind, `kind of ${name}`);
    }
  });

  void it('api-resources filters by group, scope and verbs', async () => {
    const apps = await cluster.kubectlOk(['api-resources', '--api-group=apps', '-o', 'name']);
    assert.match(apps, /^deployments\.apps$/m);
    assert.doesNotMatch(apps, /^pods$/m);
    const clusterScoped = await cluster.kubectlOk(['api-resources', '--namespaced=false', '-o', 'name']);
    assert.match(clusterScoped, /^namespaces$/m);
    assert.doesNotMatch(clusterScoped, /^pods$/m);
    const watchable = await cluster.kubectlOk(['api-resources', '--verbs=list,watch', '-o', 'name']);
    assert.match(watchable, /^configmaps$/m);
  });

  void it('serves aggregated discovery v2 and legacy discovery documents', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;q=0.9';
    for (const path of ['/api', '/apis']) {
      const r = await cluster.request(path, { headers: { Accept: accept } });
      assert.equal(r.status, 200, r.body);
      assert.match(String(r.headers['content-type']), /^application\/json;g=apidiscovery\.k8s\.io;v=v2;as=APIGroupDiscoveryList/);
      const doc = JSON.parse(r.body) as { kind: string; apiVersion: string; items: { metadata: { name?: string } }[] };
      assert.equal(doc.kind, 'APIGroupDiscoveryList');
      assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2');
      if (path === '/apis') assert.ok(doc.items.some((g) => g.metadata.name === 'apps'));
    }
    const apps = JSON.parse((await cluster.request('/apis', { headers: { Accept: accept } })).body) as {
      items: { metadata: { name?: string }; versions: { version: string; resources: { resource: string; shortNames?: string[]; categories?: string[]; subresources?: { subresource: string }[] }[] }[] }[];
    };
    const deployments = apps.items.find((g) => g.metadata.name === 'apps')?.versions.find((v) => v.version === 'v1')?.resources.find((r) => r.resource === 'deployments');
    assert.ok(deployments, 'apps/v1 deployments in aggregated discovery');
    assert.deepEqual(deployments.shortNames, ['deploy']);
    assert.deepEqual(deployments.categories, ['all']);
    assert.ok(deployments.subresources?.some((sr) => sr.subresource === 'scale'));
    assert.ok(deployments.subresources?.some((sr) => sr.subresource === 'status'));

    const legacy = await cluster.request('/api/v1');
    assert.equal(legacy.status, 200, legacy.body);
    const list = JSON.parse(legacy.body) as { kind: string; groupVersion: string; resources: { name: string; namespaced: boolean; kind: string; verbs: string[] }[] };
    assert.equal(list.kind, 'APIResourceList');
    assert.equal(list.groupVersion, 'v1');
    const pods = list.resources.find((r) => r.name === 'pods');
    assert.ok(pods);
    assert.equal(pods.kind, 'Pod');
    assert.ok(pods.verbs.includes('watch'));
    assert.ok(list.resources.some((r) => r.name === 'pods/log'));
    const groups = JSON.parse((await cluster.request('/apis')).body) as { kind: string; groups: { name: string; preferredVersion: { groupVersion: string } }[] };
    assert.equal(groups.kind, 'APIGroupList');
    assert.equal(groups.groups.find((g) => g.name === 'apps')?.preferredVersion.groupVersion, 'apps/v1');
  });

  void it('serves OpenAPI v3 with fieldValidation on PATCH, and OpenAPI v2 as JSON', async () => {
    const index = JSON.parse((await cluster.request('/openapi/v3')).body) as { paths: Record<string, { serverRelativeURL: string }> };
    const appsUrl = index.paths['apis/apps/v1']?.serverRelativeURL;
    assert.ok(appsUrl, `openapi/v3 lists apis/apps/v1: ${Object.keys(index.paths).join(', ')}`);
    assert.ok(index.paths['api/v1']);
    const apps = await cluster.request(appsUrl);
    assert.equal(apps.status, 200);
    const doc = JSON.parse(apps.body) as { paths: Record<string, Record<string, { 'x-kubernetes-group-version-kind'?: { kind: string }; parameters?: { name: string }[] } | undefined>> };
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']?.patch;
    assert.ok(patch, 'the deployment PATCH operation');
    assert.equal(patch['x-kubernetes-group-version-kind']?.kind, 'Deployment');
    const params = (patch.parameters ?? []).map((p) => p.name);
    for (const p of ['fieldValidation', 'dryRun', 'fieldManager', 'force']) assert.ok(params.includes(p), `PATCH parameters ${params.join(', ')} lack ${p}`);

    const v2 = await cluster.request('/openapi/v2', { headers: { Accept: 'application/json' } });
    assert.equal(v2.status, 200);
    assert.equal((JSON.parse(v2.body) as { swagger?: string }).swagger, '2.0');
  });

  void it('serves OpenAPI v2 as protobuf (kubectl 1.27 and 1.28 apply need it)', async () => {
    // kubectl 1.27 and 1.28 fetch the protobuf form for apply; after a 406 they try /swagger-2.0.0.pb-v1, and a 404 there fails the apply.
    const pb = await cluster.request('/openapi/v2', { headers: { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    assert.equal(pb.status, 200, `protobuf OpenAPI v2: ${pb.status} ${pb.body.slice(0, 300)}`);
    assert.match(String(pb.headers['content-type']), /^application\/com\.github\.proto-openapi\.spec\.v2(@|\.)v1\.0\+protobuf/);
  });

  void it('api-versions lists the served group versions', async () => {
    const lines = (await cluster.kubectlOk(['api-versions'])).split('\n');
    for (const gv of ['v1', 'apps/v1', 'batch/v1', 'rbac.authorization.k8s.io/v1', 'authorization.k8s.io/v1']) {
      assert.ok(lines.includes(gv), `api-versions lacks ${gv}:\n${lines.join('\n')}`);
    }
  });

  void it('explain pods.spec.containers describes the Container fields', async () => {
    const out = await cluster.kubectlOk(['explain', 'pods.spec.containers']);
    assert.match(out, /KIND:\s+Pod/);
    assert.match(out, /VERSION:\s+v1/);
    assert.match(out, /FIELD:\s+containers\s+<\[\]Container>/);
    for (const field of ['image', 'name', 'ports', 'env', 'resources']) assert.match(out, new RegExp(`^\\s+${field}\\s+<`, 'm'));
  });

  void it('explain deployment.spec.strategy describes type and rollingUpdate', async () => {
    const out = await cluster.kubectlOk(['explain', 'deployment.spec.strategy']);
    assert.match(out, /GROUP:\s+apps/);
    assert.match(out, /KIND:\s+Deployment/);
    assert.match(out, /FIELD:\s+strategy\s+<DeploymentStrategy>/);
    assert.match(out, /^\s+rollingUpdate\s+<RollingUpdateDeployment>/m);
    assert.match(out, /^\s+type\s+<string>/m);
  });

  void it('version prints the server version', async () => {
    const out = await cluster.kubectlOk(['version']);
    assert.match(out, /^Server Version: v1\.\d+\.\d+/m);
    const json = JSON.parse(await cluster.kubectlOk(['version', '-o', 'json'])) as { serverVersion?: { major?: string; minor?: string; gitVersion?: string } };
    assert.equal(json.serverVersion?.major, '1');
    assert.match(json.serverVersion?.minor ?? '', /^\d+$/);
  });

  void it('get --raw serves /readyz?verbose, /livez and /version', async () => {
    const ready = await cluster.kubectlOk(['get', '--raw', '/readyz?verbose']);
    assert.match(ready, /^\[\+\]ping ok$/m);
    assert.match(ready, /readyz check passed/);
    assert.equal((await cluster.kubectlOk(['get', '--raw', '/livez'])).trim(), 'ok');
    const version = JSON.parse(await cluster.kubectlOk(['get', '--raw', '/version'])) as Record<string, unknown>;
    assert.equal(version.major, '1');
    assert.equal(typeof version.gitVersion, 'string');
    assert.equal(typeof version.platform, 'string');
  });

  void it('get --raw /metrics exposes apiserver_request_total', async () => {
    await cluster.kubectlOk(['get', 'namespaces']);
    const metrics = await cluster.kubectlOk(['get', '--raw', '/metrics']);
    assert.match(metrics, /^# TYPE apiserver_request_total counter$/m);
    assert.match(metrics, /^apiserver_request_total\{[^}]*verb="LIST"[^}]*\} \d+/m);
  });

  void it('an unauthenticated request to the API gets a 401 Status', async () => {
    const r = await cluster.request('/api/v1/namespaces', { anonymous: true });
    assert.equal(r.status, 401, r.body);
    const status = JSON.parse(r.body) as Record<string, unknown>;
    assert.equal(status.kind, 'Status');
    assert.equal(status.apiVersion, 'v1');
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'Unauthorized');
    assert.equal(status.code, 401);
  });

  void it('health paths answer 200 without credentials', async () => {
    for (const path of ['/livez', '/readyz', '/healthz', '/readyz?verbose']) {
      const r = await cluster.request(path, { anonymous: true });
      assert.equal(r.status, 200, `${path}: ${r.body}`);
    }
    const v = await cluster.request('/version', { anonymous: true });
    assert.equal(v.status, 200, v.body);
  });

  void it('the admin certificate authenticates raw requests', async () => {
    const r = await cluster.request('/api/v1/namespaces/default');
    assert.equal(r.status, 200, r.body);
    assert.equal((JSON.parse(r.body) as { metadata?: { name?: string } }).metadata?.name, 'default');
  });
});
