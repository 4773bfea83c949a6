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
    const cluserScoped = await cluster.kubectlOk(['api-resources', '--namespaced=false', '-o', 'name']);
    assert.match(cluserScoped, /^namespaces$/m);
    assert.doesNotMatch(cluserScoped, /^pods$/m);
    const watchable = await cluster.kubectlOk(['api-resources', '--verbs=list,watch', '-o', 'name']);
    assert.match(watchable, /^configmaps$/m);
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
