/**
 * Server-side apply and managedFields with the real kubectl 1.32: `apply --server-side` create and change,
 * conflicts between managers (exit code and upstream's message) and `--force-conflicts`, `diff --server-side` and
 * plain `diff`, migration from client-side apply and back, `get --show-managed-fields`, and the raw API answers
 * (409 causes, 422 for missing fieldManager or a stray `force`, 201 on create, a large object).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../harness/test-cluster.js';

/** ManagedEntry is a managedFields entry as the tests read it. */
interface ManagedEntry {
  readonly manager: string;
  readonly operation: string;
  readonly apiVersion: string;
  readonly time?: string;
  readonly fieldsType: string;
  readonly fieldsV1: Record<string, unknown>;
  readonly subresource?: string;
}

/** ObjectJson is the part of an object the tests read. */
interface ObjectJson {
  readonly metadata: {
    readonly managedFields?: ManagedEntry[];
    readonly annotations?: Record<string, string>;
    readonly labels?: Record<string, string>;
    readonly resourceVersion?: string;
  };
  readonly spec?: { readonly replicas?: number; readonly template?: { spec?: { containers?: Array<{ name: string; image: string }> } } };
  readonly data?: Record<string, string>;
}

function deploymentYaml(replicas: number, image: string, labels = 'app: web'): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {${labels}}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
`;
}

function configMapYaml(name: string, data: Record<string, string>): string {
  return [`apiVersion: v1`, `kind: ConfigMap`, `metadata:`, `  name: ${name}`, `data:`, ...Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`)].join('\n') + '\n';
}

void describe('server-side apply with kubectl', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start();
  });

  after(async () => {
    await cluster?.stop();
  });

  async function getJson(args: readonly string[]): Promise<ObjectJson> {
    return JSON.parse(await cluster.kubectlOk(['get', ...args, '--show-managed-fields', '-o', 'json'])) as ObjectJson;
  }

  function managers(obj: ObjectJson): string[] {
    return (obj.metadata.managedFields ?? []).map((e) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`);
  }

  function entry(obj: ObjectJson, manager: string, operation = 'Apply'): ManagedEntry | undefined {
    return obj.metadata.managedFields?.find((e) => e.manager === manager && e.operation === operation);
  }

  void it('apply --server-side creates, then changes an object; managedFields record the applier', async () => {
    assert.match(await cluster.kubectlOk(['apply', '--server-side', '-f', '-'], { input: deploymentYaml(2, 'nginx:1.27') }), /^deployment\.apps\/web serverside-applied$/m);
    let obj = await getJson(['deployment', 'web']);
    // The controller manager may have written status (and annotations) by now: its entries are its own.
    assert.deepEqual(
      managers(obj).filter((m) => m.startsWith('kubectl')),
      ['kubectl/Apply'],
    );
    const mine = entry(obj, 'kubectl')!;
    assert.equal(mine.apiVersion, 'apps/v1');
    assert.equal(mine.fieldsType, 'FieldsV1');
    assert.match(mine.time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual((mine.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas'], {});
    const containers = (((mine.fieldsV1['f:spec'] as Record<string, Record<string, Record<string, unknown>>>)['f:template']!['f:spec']!)['f:containers']) as Record<string, unknown>;
    assert.deepEqual(containers['k:{"name":"web"}'], { '.': {}, 'f:image': {}, 'f:name': {} });

    assert.match(await cluster.kubectlOk(['apply', '--server-side', '-f', '-'], { input: deploymentYaml(3, 'nginx:1.28') }), /serverside-applied/);
    obj = await getJson(['deployment', 'web']);
    assert.equal(obj.spec?.replicas, 3);
    assert.equal(obj.spec?.template?.spec?.containers?.[0]?.image, 'nginx:1.28');

    const yaml = await cluster.kubectlOk(['get', 'deployment', 'web', '-o', 'yaml', '--show-managed-fields']);
    assert.match(yaml, /managedFields:/);
    assert.match(yaml, /manager: kubectl\n/);
    assert.match(yaml, /operation: Apply/);
    assert.doesNotMatch(await cluster.kubectlOk(['get', 'deployment', 'web', '-o', 'yaml']), /managedFields/);
  });

  void it('a second manager conflicts (exit 1, upstream message) until --force-conflicts', async () => {
    const r = await cluster.kubectl(['apply', '--server-side', '--field-manager=ops', '-f', '-'], { input: deploymentYaml(5, 'nginx:1.28') });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.spec\.replicas/);
    assert.match(r.stderr, /--force-conflicts/);

    await cluster.kubectlOk(['apply', '--server-side', '--field-manager=ops', '--force-conflicts', '-f', '-'], { input: deploymentYaml(5, 'nginx:1.28') });
    const obj = await getJson(['deployment', 'web']);
    assert.equal(obj.spec?.replicas, 5);
    const ops = entry(obj, 'ops')!;
    assert.deepEqual((ops.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas'], {});
    const kubectl = entry(obj, 'kubectl')!;
    assert.equal('f:replicas' in (kubectl.fieldsV1['f:spec'] as Record<string, unknown>), false, 'kubectl lost .spec.replicas');
  });

  void it('an update manager (kubectl scale, edit-like patches) takes fields without conflicts', async () => {
    await cluster.kubectlOk(['scale', 'deployment', 'web', '--replicas=4']);
    await cluster.kubectlOk(['label', 'deployment', 'web', 'team=blue']);
    const obj = await getJson(['deployment', 'web']);
    assert.equal(obj.spec?.replicas, 4);
    const scale = obj.metadata.managedFields?.find((e) => e.subresource === 'scale');
    assert.ok(scale, JSON.stringify(obj.metadata.managedFields));
    assert.equal(scale.operation, 'Update');
    assert.deepEqual(scale.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    const label = entry(obj, 'kubectl-label', 'Update');
    assert.deepEqual(label?.fieldsV1, { 'f:metadata': { 'f:labels': { 'f:team': {} } } });
    const ops = entry(obj, 'ops')!;
    assert.equal('f:replicas' in (ops.fieldsV1['f:spec'] as Record<string, unknown>), false, 'kubectl scale took .spec.replicas from ops');
  });

  void it('diff --server-side and plain diff show pending changes', async () => {
    const same = deploymentYaml(4, 'nginx:1.28');
    const changed = deploymentYaml(4, 'nginx:1.29');
    const none = await cluster.kubectl(['diff', '--server-side', '--force-conflicts', '-f', '-'], { input: same });
    assert.equal(none.code, 0, none.stdout + none.stderr);
    const some = await cluster.kubectl(['diff', '--server-side', '--force-conflicts', '-f', '-'], { input: changed });
    assert.equal(some.code, 1, some.stdout + some.stderr);
    assert.match(some.stdout, /^-\s+- image: nginx:1\.28$|^-\s+image: nginx:1\.28$/m);
    assert.match(some.stdout, /^\+\s+(- )?image: nginx:1\.29$/m);
    const plain = await cluster.kubectl(['diff', '-f', '-'], { input: configMapYaml('diffed', { a: '1' }) });
    assert.equal(plain.code, 1, plain.stdout + plain.stderr);
    assert.match(plain.stdout, /^\+\s+a: "1"$/m);
    // Server-side dry runs store nothing.
    assert.equal((await getJson(['deployment', 'web'])).spec?.template?.spec?.containers?.[0]?.image, 'nginx:1.28');
  });

  void it('migrates client-side apply to server-side apply and back', async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], { input: configMapYaml('migrate', { a: '1', b: '2' }) });
    let obj = await getJson(['configmap', 'migrate']);
    assert.deepEqual(managers(obj), ['kubectl-client-side-apply/Update']);
    assert.ok(obj.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']);

    // Server-side apply takes over the fields client-side apply set, without conflicts; kubectl then moves the
    // client-side manager's fields to its own entry (a JSON patch of managedFields) and applies again, which
    // drops `b`. The annotation gets its own applier, "kubectl-last-applied", as kubectl 1.32 sends it.
    await cluster.kubectlOk(['apply', '--server-side', '-f', '-'], { input: configMapYaml('migrate', { a: '10' }) });
    obj = await getJson(['configmap', 'migrate']);
    assert.deepEqual(obj.data, { a: '10' });
    assert.deepEqual(managers(obj), ['kubectl/Apply', 'kubectl-last-applied/Apply']);
    const lastApplied = JSON.parse(obj.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '{}') as ObjectJson;
    assert.deepEqual(lastApplied.data, { a: '10' });

    // And back: client-side apply computes its patch from the annotation server-side apply kept current.
    await cluster.kubectlOk(['apply', '-f', '-'], { input: configMapYaml('migrate', { a: '10', c: '3' }) });
    obj = await getJson(['configmap', 'migrate']);
    assert.deepEqual(obj.data, { a: '10', c: '3' });
    assert.ok(entry(obj, 'kubectl-client-side-apply', 'Update'));
  });

  void it('answers apply errors as upstream: 422 without fieldManager, 422 for force on a merge patch, 409 with causes', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/web';
    const missing = await cluster.request(path, { method: 'PATCH', headers: { 'Content-Type': 'application/apply-patch+yaml' }, body: deploymentYaml(1, 'x') });
    assert.equal(missing.status, 422, missing.body);
    assert.match(missing.body, /PatchOptions.meta.k8s.io \\"\\" is invalid: fieldManager: Required value: is required for apply patch/);
    const wrongVersion = await cluster.request(`${path}?fieldManager=x`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
      body: deploymentYaml(1, 'x').replace('apps/v1', 'apps/v1beta1'),
    });
    assert.equal(wrongVersion.status, 400, wrongVersion.body);
    assert.match(wrongVersion.body, /Incorrect version specified in apply patch. Specified patch version: apps\/v1beta1, expected: apps\/v1/);
    const withManaged = await cluster.request(`${path}?fieldManager=x`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
      body: deploymentYaml(1, 'x').replace('  name: web\n', '  name: web\n  managedFields: []\n'),
    });
    assert.equal(withManaged.status, 400, withManaged.body);
    assert.match(withManaged.body, /metadata.managedFields must be nil/);
    const force = await cluster.request(`${path}?force=true`, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: '{}' });
    assert.equal(force.status, 422, force.body);
    assert.match(force.body, /force: Forbidden: may not be specified for non-apply patch/);
    const conflict = await cluster.request(`${path}?fieldManager=other`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
      body: deploymentYaml(9, 'nginx:1.28'),
    });
    assert.equal(conflict.status, 409, conflict.body);
    const status = JSON.parse(conflict.body) as { reason: string; message: string; details: { causes: Array<{ reason: string; message: string; field: string }> } };
    assert.equal(status.reason, 'Conflict');
    const fields = status.details.causes.map((c) => c.field).sort();
    assert.ok(fields.includes('.spec.replicas'), conflict.body);
    assert.ok(status.details.causes.every((c) => c.reason === 'FieldManagerConflict' && c.message.startsWith('conflict with "')));
    assert.match(status.message, /^Apply failed with \d+ conflicts?: /);
  });

  void it('applies to the status subresource as its own manager, leaving spec alone', async () => {
    await cluster.kubectlOk(['create', 'service', 'clusterip', 'lb', '--tcp=80:80']);
    const body = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lb' },
      spec: { ports: [{ port: 9999 }] },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } },
    });
    const reply = await cluster.request('/api/v1/namespaces/default/services/lb/status?fieldManager=lb-controller', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
      body,
    });
    assert.equal(reply.status, 200, reply.body);
    const obj = (await getJson(['service', 'lb'])) as ObjectJson & { status?: unknown; spec?: { ports?: Array<{ port: number }> } };
    assert.deepEqual(obj.status, { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } });
    assert.deepEqual(obj.spec?.ports?.map((p) => p.port), [80]);
    const mine = obj.metadata.managedFields?.find((e) => e.manager === 'lb-controller');
    assert.equal(mine?.operation, 'Apply');
    assert.equal(mine?.subresource, 'status');
    assert.deepEqual(Object.keys(mine?.fieldsV1 ?? {}), ['f:status']);
  });

  void it('applies to the scale subresource: owns spec.replicas under "scale", conflicts with the parent\'s manager', async () => {
    await cluster.kubectlOk(['create', 'deployment', 'scaled', '--image=nginx', '--replicas=2']);
    const path = '/apis/apps/v1/namespaces/default/deployments/scaled/scale';
    const scale = (replicas: number): string => JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'scaled' }, spec: { replicas } });
    const conflict = await cluster.request(`${path}?fieldManager=autoscaler`, { method: 'PATCH', headers: { 'Content-Type': 'application/apply-patch+yaml' }, body: scale(4) });
    assert.equal(conflict.status, 409, conflict.body);
    assert.match(conflict.body, /\.spec\.replicas/);
    const forced = await cluster.request(`${path}?fieldManager=autoscaler&force=true`, { method: 'PATCH', headers: { 'Content-Type': 'application/apply-patch+yaml' }, body: scale(4) });
    assert.equal(forced.status, 200, forced.body);
    const answer = JSON.parse(forced.body) as { kind: string; spec: { replicas: number } };
    assert.equal(answer.kind, 'Scale');
    assert.equal(answer.spec.replicas, 4);
    const obj = (await getJson(['deployment', 'scaled'])) as ObjectJson & { spec?: { replicas?: number } };
    assert.equal(obj.spec?.replicas, 4);
    const mine = obj.metadata.managedFields?.find((e) => e.manager === 'autoscaler');
    assert.equal(mine?.operation, 'Apply');
    assert.equal(mine?.subresource, 'scale');
    assert.deepEqual(mine?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    const wrong = await cluster.request(`${path}?fieldManager=autoscaler`, { method: 'PATCH', headers: { 'Content-Type': 'application/apply-patch+yaml' }, body: scale(-1) });
    assert.equal(wrong.status, 400, wrong.body);
  });

  // Its speed is bench/ssa.ts's (docs/benchmarks.md): a timed assertion here would only measure the machine's load.
  void it('creates with 201 and applies a change to a 1 MiB object', async () => {
    const big = 'x'.repeat(1024);
    const data: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) data[`k${i}`] = big;
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data });
    const path = '/api/v1/namespaces/default/configmaps/big?fieldManager=bench';
    const created = await cluster.request(path, { method: 'PATCH', headers: { 'Content-Type': 'application/apply-patch+yaml' }, body });
    assert.equal(created.status, 201, created.body.slice(0, 500));
    data['k0'] = 'changed';
    const changed = await cluster.request(path, { method: 'PATCH', headers: { 'Content-Type': 'application/apply-patch+yaml' }, body: JSON.stringify({ ...JSON.parse(body), data }) });
    assert.equal(changed.status, 200, changed.body.slice(0, 500));
    assert.equal((JSON.parse(changed.body) as ObjectJson).data?.['k0'], 'changed');
  });

  void it('applies a CustomResourceDefinition over 256 KiB with kubectl apply --server-side', async () => {
    const props: Record<string, unknown> = {};
    for (let i = 0; i < 2500; i++) props[`field${i}`] = { type: 'string', description: 'd'.repeat(100) };
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'bigs.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Big', plural: 'bigs', singular: 'big', listKind: 'BigList' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: props } } } } }],
      },
    };
    const text = JSON.stringify(crd);
    assert.ok(text.length > 256 * 1024);
    assert.match(await cluster.kubectlOk(['apply', '--server-side', '-f', '-'], { input: text }), /customresourcedefinition\.apiextensions\.k8s\.io\/bigs\.example\.com serverside-applied/);
    const started = performance.now();
    await cluster.kubectlOk(['apply', '--server-side', '-f', '-'], { input: text.replace('"field0":{"type":"string"', '"field0":{"type":"integer"') });
    const ms = performance.now() - started;
    const got = JSON.parse(await cluster.kubectlOk(['get', 'crd', 'bigs.example.com', '-o', 'json'])) as {
      spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, { type: string }> } } } } }> };
    };
    assert.equal(got.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties['field0']?.type, 'integer');
    // kubectl itself (discovery, OpenAPI, process start) dominates; the bound is generous for a loaded machine.
    assert.ok(ms < 10_000, `kubectl apply --server-side took ${ms.toFixed(0)} ms`);
  });
});
