/**
 * Everyday kubectl: create/apply/get/describe/edit/patch/label/annotate/scale/delete, every output format, watch,
 * auth can-i, and the error texts users know — with real kubectl 1.32 (protobuf bodies from the generators), plus a
 * smoke set with kubectl 1.27 and 1.33.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, runCommand, TestCluster, type ExecResult } from '../harness/test-cluster.js';

const DEPLOYMENT_WEB = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: front}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
`;

const STACK = `${DEPLOYMENT_WEB}---
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  labels: {app: web}
data:
  greeting: hello
---
apiVersion: v1
kind: Pod
metadata:
  name: web-pod
  labels: {app: web, tier: front}
spec:
  containers:
  - name: main
    image: busybox:1.36
    command: [sleep, "3600"]
`;

/** ObjectJson is the part of an object's JSON the tests read. */
interface ObjectJson {
  readonly kind?: string;
  readonly type?: string;
  readonly metadata: { readonly labels?: Record<string, string>; readonly annotations?: Record<string, string>; readonly [field: string]: unknown };
  readonly data?: Record<string, string>;
  readonly spec?: Record<string, unknown>;
}

/** configMapYaml is a ConfigMap manifest with the given data. */
function configMapYaml(name: string, data: Record<string, string>, labels: Record<string, string> = {}): string {
  const lines = [`apiVersion: v1`, `kind: ConfigMap`, `metadata:`, `  name: ${name}`];
  if (Object.keys(labels).length > 0) lines.push(`  labels:`, ...Object.entries(labels).map(([k, v]) => `    ${k}: "${v}"`));
  lines.push(`data:`, ...Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`));
  return lines.join('\n') + '\n';
}

/** header returns the first line of a kubectl table, split into its column names. */
function columns(out: string): string[] {
  return (out.split('\n')[0] ?? '').split(/\s{2,}/).map((c) => c.trim()).filter((c) => c.length > 0);
}

/** row returns the cells of the table row whose first cell is `name`. */
function row(out: string, name: string): string[] | undefined {
  return out
    .split('\n')
    .map((l) => l.split(/\s{2,}/).map((c) => c.trim()))
    .find((cells) => cells[0] === name);
}

/** failed asserts a kubectl run failed and returns its stderr. */
function failed(r: ExecResult, what: string): string {
  assert.notEqual(r.code, 0, `${what} should fail, got:\n${r.stdout}\n${r.stderr}`);
  return r.stderr;
}

void describe('kubectl CRUD against tkube server', () => {
  let cluster: TestCluster;
  const children: ReturnType<typeof spawn>[] = [];

  before(async () => {
    cluster = await TestCluster.start();
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await cluster?.stop();
  });

  /** jsonOf gets one object as parsed JSON. */
  async function jsonOf(args: readonly string[]): Promise<ObjectJson> {
    return JSON.parse(await cluster.kubectlOk(['get', ...args, '-o', 'json'])) as ObjectJson;
  }

  void it('create -f - creates a Deployment, a Service, a ConfigMap and a Pod from one YAML stream', async () => {
    const out = await cluster.kubectlOk(['create', '-f', '-'], { input: STACK });
    assert.match(out, /^deployment\.apps\/web created$/m);
    assert.match(out, /^service\/web created$/m);
    assert.match(out, /^configmap\/web-config created$/m);
    assert.match(out, /^pod\/web-pod created$/m);
    const svc = await jsonOf(['service', 'web']);
    assert.match(String((svc.spec as { clusterIP?: string }).clusterIP), /^10\.43\.\d+\.\d+$/);
  });

  void it('apply -f twice with a change prints configured, then unchanged', async () => {
    assert.match(await cluster.kubectlOk(['apply', '-f', '-'], { input: configMapYaml('applied', { a: '1' }) }), /^configmap\/applied created$/m);
    assert.match(await cluster.kubectlOk(['apply', '-f', '-'], { input: configMapYaml('applied', { a: '2', b: '3' }) }), /^configmap\/applied configured$/m);
    assert.match(await cluster.kubectlOk(['apply', '-f', '-'], { input: configMapYaml('applied', { a: '2', b: '3' }) }), /^configmap\/applied unchanged$/m);
    const cm = await jsonOf(['configmap', 'applied']);
    assert.deepEqual(cm.data, { a: '2', b: '3' });
    const annotations = cm.metadata.annotations as Record<string, string> | undefined;
    assert.ok(annotations?.['kubectl.kubernetes.io/last-applied-configuration'], 'apply records last-applied-configuration');
    // Removing a key from the manifest removes it from the object (three-way merge through last-applied).
    assert.match(await cluster.kubectlOk(['apply', '-f', '-'], { input: configMapYaml('applied', { a: '2' }) }), /^configmap\/applied configured$/m);
    assert.deepEqual((await jsonOf(['configmap', 'applied'])).data, { a: '2' });
  });

  void it('create generators (protobuf bodies) make a deployment, configmap, secret, namespace and serviceaccount', async () => {
    assert.match(await cluster.kubectlOk(['create', 'deployment', 'gen', '--image=nginx:1.27', '--replicas=2']), /^deployment\.apps\/gen created$/m);
    assert.match(await cluster.kubectlOk(['create', 'configmap', 'gen-cm', '--from-literal=k=v', '--from-literal=x=y']), /^configmap\/gen-cm created$/m);
    assert.match(await cluster.kubectlOk(['create', 'secret', 'generic', 'gen-secret', '--from-literal=password=s3cr3t']), /^secret\/gen-secret created$/m);
    assert.match(await cluster.kubectlOk(['create', 'namespace', 'gen-ns']), /^namespace\/gen-ns created$/m);
    assert.match(await cluster.kubectlOk(['create', 'serviceaccount', 'gen-sa']), /^serviceaccount\/gen-sa created$/m);

    const dep = await jsonOf(['deployment', 'gen']);
    const spec = dep.spec as { replicas?: number; selector?: { matchLabels?: Record<string, string> }; template?: { spec?: { containers?: { name?: string; image?: string }[] } } };
    assert.equal(spec.replicas, 2);
    assert.deepEqual(spec.selector?.matchLabels, { app: 'gen' });
    assert.equal(spec.template?.spec?.containers?.[0]?.image, 'nginx:1.27');
    assert.deepEqual((await jsonOf(['configmap', 'gen-cm'])).data, { k: 'v', x: 'y' });
    const secret = await jsonOf(['secret', 'gen-secret']);
    assert.equal(secret.type, 'Opaque');
    assert.equal(Buffer.from(secret.data?.password ?? '', 'base64').toString('utf8'), 's3cr3t');
    assert.match(await cluster.kubectlOk(['get', 'namespace', 'gen-ns']), /^gen-ns\s+Active\s+/m);
    assert.equal((await jsonOf(['serviceaccount', 'gen-sa'])).kind, 'ServiceAccount');
  });

  void it('more create generators (protobuf bodies): job, cronjob, RBAC, priorityclass, quota, pdb, ingress, services, docker-registry secret', async () => {
    await cluster.kubectlOk(['create', 'namespace', 'gens']);
    const cases: [string[], string][] = [
      [['job', 'j1', '--image=busybox:1', '--', 'echo', 'hi'], 'job.batch/j1 created'],
      [['cronjob', 'cj1', '--image=busybox:1', '--schedule=*/5 * * * *'], 'cronjob.batch/cj1 created'],
      [['role', 'r1', '--verb=get,list', '--resource=pods'], 'role.rbac.authorization.k8s.io/r1 created'],
      [['rolebinding', 'rb1', '--role=r1', '--user=alice'], 'rolebinding.rbac.authorization.k8s.io/rb1 created'],
      [['clusterrole', 'gens-cr1', '--verb=get', '--resource=nodes'], 'clusterrole.rbac.authorization.k8s.io/gens-cr1 created'],
      [['clusterrolebinding', 'gens-crb1', '--clusterrole=gens-cr1', '--user=alice'], 'clusterrolebinding.rbac.authorization.k8s.io/gens-crb1 created'],
      [['priorityclass', 'gens-pc1', '--value=1000'], 'priorityclass.scheduling.k8s.io/gens-pc1 created'],
      [['quota', 'q1', '--hard=pods=10'], 'resourcequota/q1 created'],
      [['pdb', 'pdb1', '--selector=app=x', '--min-available=1'], 'poddisruptionbudget.policy/pdb1 created'],
      [['ingress', 'ing1', '--rule=foo.com/bar=svc1:8080'], 'ingress.networking.k8s.io/ing1 created'],
      [['service', 'clusterip', 'svc1', '--tcp=8080:80'], 'service/svc1 created'],
      [['service', 'nodeport', 'np1', '--tcp=80:8080'], 'service/np1 created'],
      [['secret', 'docker-registry', 'reg1', '--docker-username=u', '--docker-password=p', '--docker-server=r.example'], 'secret/reg1 created'],
    ];
    for (const [args, line] of cases) {
      const r = await cluster.kubectl(['create', '-n', 'gens', ...args]);
      assert.equal(r.code, 0, `kubectl create ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
      assert.equal(r.stdout.trim(), line);
    }
    assert.equal(await cluster.kubectlOk(['get', '-n', 'gens', 'job', 'j1', '-o', 'jsonpath={.spec.template.spec.restartPolicy} {.spec.template.spec.containers[0].command}']), 'Never ["echo","hi"]');
    assert.equal(await cluster.kubectlOk(['get', '-n', 'gens', 'cronjob', 'cj1', '-o', 'jsonpath={.spec.schedule}']), '*/5 * * * *');
    assert.equal(await cluster.kubectlOk(['get', '-n', 'gens', 'rolebinding', 'rb1', '-o', 'jsonpath={.roleRef.kind}/{.roleRef.name} {.subjects[0].kind}/{.subjects[0].name}']), 'Role/r1 User/alice');
    const nodePort = Number(await cluster.kubectlOk(['get', '-n', 'gens', 'service', 'np1', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    assert.ok(nodePort >= 30000 && nodePort <= 32767, `nodePort ${nodePort} is in the default range`);
    assert.equal(await cluster.kubectlOk(['get', '-n', 'gens', 'secret', 'reg1', '-o', 'jsonpath={.type}']), 'kubernetes.io/dockerconfigjson');
    const table = await cluster.kubectlOk(['get', '-n', 'gens', 'cronjob', 'cj1']);
    assert.deepEqual(columns(table), ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE']);
  });

  void it('expose, set image, set env, go-template, --show-labels, -L and -A', async () => {
    await cluster.kubectlOk(['create', 'deployment', 'tools', '--image=nginx:1']);
    assert.match(await cluster.kubectlOk(['expose', 'deployment', 'tools', '--port=80', '--target-port=8080']), /^service\/tools exposed$/m);
    assert.equal(await cluster.kubectlOk(['get', 'service', 'tools', '-o', 'jsonpath={.spec.selector.app} {.spec.ports[0].port} {.spec.ports[0].targetPort}']), 'tools 80 8080');
    assert.match(await cluster.kubectlOk(['set', 'image', 'deployment/tools', 'nginx=nginx:2']), /^deployment\.apps\/tools image updated$/m);
    assert.match(await cluster.kubectlOk(['set', 'env', 'deployment/tools', 'FOO=bar']), /^deployment\.apps\/tools env updated$/m);
    assert.equal(
      await cluster.kubectlOk(['get', 'deployment', 'tools', '-o', 'go-template={{range .spec.template.spec.containers}}{{.name}}={{.image}} {{range .env}}{{.name}}={{.value}}{{end}}{{end}}']),
      'nginx=nginx:2 FOO=bar',
    );
    const labels = await cluster.kubectlOk(['get', 'deployment', 'tools', '--show-labels']);
    assert.equal(columns(labels).at(-1), 'LABELS');
    assert.equal(row(labels, 'tools')?.at(-1), 'app=tools');
    const labelColumn = await cluster.kubectlOk(['get', 'deployment', 'tools', '-L', 'app']);
    assert.equal(columns(labelColumn).at(-1), 'APP');
    const all = await cluster.kubectlOk(['get', 'deployments', '-A']);
    assert.deepEqual(columns(all).slice(0, 2), ['NAMESPACE', 'NAME']);
    assert.match(all, /^default\s+tools\s+/m);
  });

  void it('get pods prints the server-side table with READY and STATUS; -o wide adds IP and NODE', async () => {
    const out = await cluster.kubectlOk(['get', 'pods']);
    assert.deepEqual(columns(out), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    const cells = row(out, 'web-pod');
    assert.ok(cells, out);
    assert.equal(cells[1], '0/1');
    assert.equal(cells[2], 'Pending');
    assert.equal(cells[3], '0');
    const wide = await cluster.kubectlOk(['get', 'pods', '-o', 'wide']);
    assert.deepEqual(columns(wide), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    const deploy = await cluster.kubectlOk(['get', 'deployments', '-o', 'wide']);
    assert.deepEqual(columns(deploy), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    const web = row(deploy, 'web');
    assert.ok(web, deploy);
    assert.equal(web[5], 'web');
    assert.equal(web[6], 'nginx:1.27');
    assert.equal(web[7], 'app=web');
    const svc = await cluster.kubectlOk(['get', 'services']);
    assert.deepEqual(columns(svc), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    assert.equal(row(svc, 'web')?.[4], '80/TCP');
    const cms = await cluster.kubectlOk(['get', 'configmaps']);
    assert.deepEqual(columns(cms), ['NAME', 'DATA', 'AGE']);
    assert.equal(row(cms, 'web-config')?.[1], '1');
  });

  void it('get -o yaml, -o json, -o jsonpath, -o custom-columns, -o name', async () => {
    const yaml = await cluster.kubectlOk(['get', 'pod', 'web-pod', '-o', 'yaml']);
    assert.match(yaml, /^apiVersion: v1$/m);
    assert.match(yaml, /^kind: Pod$/m);
    assert.match(yaml, /^ {2}name: web-pod$/m);
    assert.match(yaml, /^ {2}resourceVersion: "\d+"$/m);
    assert.match(yaml, /^ {2}uid: [0-9a-f-]{36}$/m);
    const list = JSON.parse(await cluster.kubectlOk(['get', 'configmaps', '-l', 'app=web', '-o', 'json'])) as { kind: string; items: { metadata: { name: string } }[] };
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items.map((i) => i.metadata.name), ['web-config']);
    // The Deployment's own pods (controllers run in the server) carry pod-template-hash; leave them out.
    assert.equal(await cluster.kubectlOk(['get', 'pods,configmaps', '-l', 'app=web,!pod-template-hash', '-o', 'jsonpath={.items[*].metadata.name}']), 'web-pod web-config');
    const custom = await cluster.kubectlOk(['get', 'deployments', 'web', '-o', 'custom-columns=NAME:.metadata.name,IMAGE:.spec.template.spec.containers[0].image']);
    assert.deepEqual(columns(custom), ['NAME', 'IMAGE']);
    assert.deepEqual(row(custom, 'web'), ['web', 'nginx:1.27']);
    assert.equal((await cluster.kubectlOk(['get', 'deployments', 'web', '-o', 'name'])).trim(), 'deployment.apps/web');
  });

  void it('get --sort-by, -l selectors and --field-selector', async () => {
    for (const [name, tier] of [['sort-c', 'b'], ['sort-a', 'a'], ['sort-b', 'c']] as const) {
      await cluster.kubectlOk(['create', '-f', '-'], { input: configMapYaml(name, { n: name }, { sorted: 'yes', tier }) });
    }
    const names = async (args: string[]): Promise<string> => (await cluster.kubectlOk(['get', 'configmaps', ...args, '-o', 'jsonpath={.items[*].metadata.name}'])).trim();
    const sorted = await cluster.kubectlOk(['get', 'configmaps', '-l', 'sorted=yes', '--sort-by=.metadata.name']);
    assert.deepEqual(sorted.split('\n').slice(1).filter(Boolean).map((l) => l.split(/\s+/)[0]), ['sort-a', 'sort-b', 'sort-c']);
    const byTier = await cluster.kubectlOk(['get', 'configmaps', '-l', 'sorted=yes', '--sort-by=.metadata.labels.tier', '-o', 'name']);
    assert.deepEqual(byTier.trim().split('\n'), ['configmap/sort-a', 'configmap/sort-c', 'configmap/sort-b']);
    assert.equal(await names(['-l', 'sorted=yes,tier=a']), 'sort-a');
    assert.equal(await names(['-l', 'sorted=yes,tier!=a', '--sort-by=.metadata.name']), 'sort-b sort-c');
    assert.equal(await names(['-l', 'tier in (a,c)', '--sort-by=.metadata.name']), 'sort-a sort-b');
    assert.equal(await names(['-l', 'sorted,tier notin (a,c)']), 'sort-c');
    assert.equal(await names(['-l', '!sorted,app=web']), 'web-config');
    assert.equal(await names(['--field-selector', 'metadata.name=sort-b']), 'sort-b');
    assert.equal(await names(['-l', 'sorted=yes', '--field-selector', 'metadata.name!=sort-b', '--sort-by=.metadata.name']), 'sort-a sort-c');
    const none = await cluster.kubectl(['get', 'configmaps', '-l', 'sorted=never']);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stderr, /No resources found in default namespace\./);
  });

  void it('get all lists pods, services and deployments', async () => {
    const out = await cluster.kubectlOk(['get', 'all']);
    assert.match(out, /^pod\/web-pod\s+0\/1\s+Pending\s+/m);
    assert.match(out, /^service\/web\s+ClusterIP\s+/m);
    assert.match(out, /^service\/kubernetes\s+ClusterIP\s+10\.43\.0\.1\s+/m);
    assert.match(out, /^deployment\.apps\/web\s+/m);
  });

  void it('get -w prints a line for a configmap created while watching', async () => {
    const child = spawn('kubectl', ['--kubeconfig', cluster.kubeconfig, 'get', 'configmaps', '-w', '--request-timeout=60s'], {
      env: { ...process.env, HOME: cluster.dataDir, KUBECACHEDIR: join(cluster.dataDir, 'kubecache') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    try {
      await eventually(() => /^web-config\s+1\s+/m.test(out), 20_000).catch((e: unknown) => {
        throw new Error(`${String(e)}\nstdout:\n${out}\nstderr:\n${err}`);
      });
      await cluster.kubectlOk(['create', 'configmap', 'watched', '--from-literal=a=b']);
      await eventually(() => /^watched\s+1\s+/m.test(out), 20_000).catch((e: unknown) => {
        throw new Error(`${String(e)}\nstdout:\n${out}\nstderr:\n${err}`);
      });
      await cluster.kubectlOk(['label', 'configmap', 'watched', 'seen=yes']);
      await eventually(() => out.match(/^watched\s+/gm)?.length === 2, 20_000).catch((e: unknown) => {
        throw new Error(`${String(e)}\nstdout:\n${out}\nstderr:\n${err}`);
      });
    } finally {
      child.kill('SIGTERM');
    }
  });

  void it('describe deployment and pod print their fields and an Events section', async () => {
    const dep = await cluster.kubectlOk(['describe', 'deployment', 'web']);
    assert.match(dep, /^Name:\s+web$/m);
    assert.match(dep, /^Namespace:\s+default$/m);
    assert.match(dep, /^Selector:\s+app=web$/m);
    assert.match(dep, /^Replicas:\s+2 desired/m);
    assert.match(dep, /^StrategyType:\s+RollingUpdate$/m);
    assert.match(dep, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
    assert.match(dep, /^\s+Image:\s+nginx:1\.27$/m);
    assert.match(dep, /^Events:/m);
    const pod = await cluster.kubectlOk(['describe', 'pod', 'web-pod']);
    assert.match(pod, /^Name:\s+web-pod$/m);
    assert.match(pod, /^Status:\s+Pending$/m);
    assert.match(pod, /^Containers:$/m);
    assert.match(pod, /^\s+Image:\s+busybox:1\.36$/m);
    assert.match(pod, /^QoS Class:\s+BestEffort$/m);
    assert.match(pod, /^Events:/m);
  });

  void it('describe, get events and kubectl events show an Event about a pod', async () => {
    const uid = await cluster.kubectlOk(['get', 'pod', 'web-pod', '-o', 'jsonpath={.metadata.uid}']);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const event = `apiVersion: v1
kind: Event
metadata: {name: web-pod.test1}
involvedObject: {apiVersion: v1, kind: Pod, name: web-pod, namespace: default, uid: "${uid}"}
reason: Tested
message: hello from the integration test
type: Warning
source: {component: it-test}
firstTimestamp: "${now}"
lastTimestamp: "${now}"
count: 1
`;
    await cluster.kubectlOk(['create', '-f', '-'], { input: event });
    const pod = await cluster.kubectlOk(['describe', 'pod', 'web-pod']);
    assert.match(pod, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/m);
    assert.match(pod, /^\s+Warning\s+Tested\s+\S+\s+it-test\s+hello from the integration test$/m);
    const events = await cluster.kubectlOk(['get', 'events']);
    assert.deepEqual(columns(events), ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    assert.match(events, /\s+Warning\s+Tested\s+pod\/web-pod\s+hello from the integration test$/m);
    const selected = await cluster.kubectlOk(['get', 'events', '--field-selector', `involvedObject.uid=${uid},involvedObject.kind=Pod,reason=Tested`, '-o', 'name']);
    assert.equal(selected.trim(), 'event/web-pod.test1');
    const forPod = await cluster.kubectlOk(['events', '--for', 'pod/web-pod']);
    assert.match(forPod, /Warning\s+Tested\s+Pod\/web-pod\s+hello from the integration test/);
  });

  void it('edit runs $KUBE_EDITOR and saves the change', async () => {
    await cluster.kubectlOk(['create', 'configmap', 'edited', '--from-literal=word=foo']);
    const editor = join(cluster.dataDir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/word: foo/word: bar/" "$1"\n');
    chmodSync(editor, 0o755);
    const r = await cluster.kubectl(['edit', 'configmap', 'edited'], { env: { KUBE_EDITOR: editor, EDITOR: editor } });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^configmap\/edited edited$/m);
    assert.deepEqual((await jsonOf(['configmap', 'edited'])).data, { word: 'bar' });
    const inline = await cluster.kubectl(['edit', 'configmap', 'edited'], { env: { KUBE_EDITOR: 'sed -i s/word:\\ bar/word:\\ baz/' } });
    assert.equal(inline.code, 0, `${inline.stdout}\n${inline.stderr}`);
    assert.deepEqual((await jsonOf(['configmap', 'edited'])).data, { word: 'baz' });
  });

  void it('patch with --type=json, --type=merge and the default strategic merge', async () => {
    await cluster.kubectlOk(['create', 'configmap', 'patched', '--from-literal=a=1']);
    assert.match(await cluster.kubectlOk(['patch', 'configmap', 'patched', '--type=json', '-p', '[{"op":"add","path":"/data/b","value":"2"},{"op":"replace","path":"/data/a","value":"10"}]']), /^configmap\/patched patched$/m);
    assert.deepEqual((await jsonOf(['configmap', 'patched'])).data, { a: '10', b: '2' });
    await cluster.kubectlOk(['patch', 'configmap', 'patched', '--type=merge', '-p', '{"data":{"a":null,"c":"3"}}']);
    assert.deepEqual((await jsonOf(['configmap', 'patched'])).data, { b: '2', c: '3' });
    const noop = await cluster.kubectlOk(['patch', 'configmap', 'patched', '--type=merge', '-p', '{"data":{"c":"3"}}']);
    assert.match(noop, /^configmap\/patched patched \(no change\)$/m);

    const twoContainers = `apiVersion: apps/v1
kind: Deployment
metadata: {name: smp}
spec:
  selector: {matchLabels: {app: smp}}
  template:
    metadata: {labels: {app: smp}}
    spec:
      containers:
      - {name: c, image: "busybox:1"}
      - {name: sidecar, image: "envoy:1"}
`;
    await cluster.kubectlOk(['create', '-f', '-'], { input: twoContainers });
    await cluster.kubectlOk(['patch', 'deployment', 'smp', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"busybox:2"}]}}}}']);
    const containers = ((await jsonOf(['deployment', 'smp'])).spec as { template: { spec: { containers: { name: string; image: string }[] } } }).template.spec.containers;
    assert.deepEqual(containers.map((c) => [c.name, c.image]), [['c', 'busybox:2'], ['sidecar', 'envoy:1']]);
    // $patch: delete removes one element of a merge-keyed list.
    await cluster.kubectlOk(['patch', 'deployment', 'smp', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}']);
    const after = ((await jsonOf(['deployment', 'smp'])).spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers;
    assert.deepEqual(after.map((c) => c.name), ['c']);
    const bad = await cluster.kubectl(['patch', 'configmap', 'patched', '--type=json', '-p', '[{"op":"remove","path":"/data/nope"}]']);
    failed(bad, 'a JSON patch removing a missing path');
  });

  void it('label, annotate, label --overwrite and label key- (removal)', async () => {
    await cluster.kubectlOk(['create', 'configmap', 'labelled']);
    assert.match(await cluster.kubectlOk(['label', 'configmap', 'labelled', 'env=dev']), /^configmap\/labelled labeled$/m);
    const clash = await cluster.kubectl(['label', 'configmap', 'labelled', 'env=prod']);
    assert.match(failed(clash, 'relabel without --overwrite'), /'env' already has a value \(dev\), and --overwrite is false/);
    assert.match(await cluster.kubectlOk(['label', '--overwrite', 'configmap', 'labelled', 'env=prod', 'team=a']), /^configmap\/labelled labeled$/m);
    assert.deepEqual((await jsonOf(['configmap', 'labelled'])).metadata.labels, { env: 'prod', team: 'a' });
    assert.match(await cluster.kubectlOk(['label', 'configmap', 'labelled', 'env-']), /^configmap\/labelled unlabeled$/m);
    assert.deepEqual((await jsonOf(['configmap', 'labelled'])).metadata.labels, { team: 'a' });
    assert.match(await cluster.kubectlOk(['annotate', 'configmap', 'labelled', 'note=hello world']), /^configmap\/labelled annotated$/m);
    assert.equal((((await jsonOf(['configmap', 'labelled'])).metadata.annotations ?? {}) as Record<string, string>).note, 'hello world');
    await cluster.kubectlOk(['annotate', 'configmap', 'labelled', 'note-']);
    assert.equal((((await jsonOf(['configmap', 'labelled'])).metadata.annotations ?? {}) as Record<string, string>).note, undefined);
  });

  void it('scale a deployment and a replication controller', async () => {
    assert.match(await cluster.kubectlOk(['scale', 'deployment', 'web', '--replicas=5']), /^deployment\.apps\/web scaled$/m);
    assert.equal(await cluster.kubectlOk(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']), '5');
    const stale = await cluster.kubectl(['scale', 'deployment', 'web', '--current-replicas=2', '--replicas=3']);
    failed(stale, 'scale with a wrong --current-replicas');
    const rc = `apiVersion: v1
kind: ReplicationController
metadata: {name: rc1}
spec:
  replicas: 1
  selector: {app: rc1}
  template:
    metadata: {labels: {app: rc1}}
    spec:
      containers: [{name: c, image: "busybox:1"}]
`;
    await cluster.kubectlOk(['create', '-f', '-'], { input: rc });
    assert.match(await cluster.kubectlOk(['scale', 'rc', 'rc1', '--replicas=3']), /^replicationcontroller\/rc1 scaled$/m);
    assert.equal(await cluster.kubectlOk(['get', 'rc', 'rc1', '-o', 'jsonpath={.spec.replicas}']), '3');
  });

  void it('delete by name (with --wait), by label and --all', async () => {
    await cluster.kubectlOk(['create', 'namespace', 'scratch']);
    for (const n of ['d1', 'd2', 'd3', 'd4']) {
      await cluster.kubectlOk(['create', '-n', 'scratch', '-f', '-'], { input: configMapYaml(n, { x: n }, { group: n === 'd2' || n === 'd3' ? 'del' : 'keep' }) });
    }
    assert.match(await cluster.kubectlOk(['delete', '-n', 'scratch', 'configmap', 'd1', '--wait=true']), /^configmap "d1" deleted/m);
    const byLabel = await cluster.kubectlOk(['delete', '-n', 'scratch', 'configmap', '-l', 'group=del']);
    assert.match(byLabel, /^configmap "d2" deleted/m);
    assert.match(byLabel, /^configmap "d3" deleted/m);
    assert.equal(await cluster.kubectlOk(['get', '-n', 'scratch', 'configmaps', '-l', 'group', '-o', 'jsonpath={.items[*].metadata.name}']), 'd4');
    const all = await cluster.kubectlOk(['delete', '-n', 'scratch', 'configmaps', '--all']);
    assert.match(all, /^configmap "d4" deleted/m);
    assert.equal(await cluster.kubectlOk(['get', '-n', 'scratch', 'configmaps', '-l', 'group', '-o', 'jsonpath={.items[*].metadata.name}']), '');
    // An unscheduled pod goes away at once, so --wait returns promptly.
    await cluster.kubectlOk(['run', 'doomed', '-n', 'scratch', '--image=busybox:1', '--restart=Never']);
    assert.match(await cluster.kubectlOk(['delete', '-n', 'scratch', 'pod', 'doomed', '--wait=true', '--timeout=30s']), /^pod "doomed" deleted/m);
    const gone = await cluster.kubectl(['get', '-n', 'scratch', 'pod', 'doomed']);
    assert.match(failed(gone, 'get a deleted pod'), /Error from server \(NotFound\): pods "doomed" not found/);
    const missing = await cluster.kubectl(['delete', '-n', 'scratch', 'configmap', 'never-was']);
    assert.match(failed(missing, 'delete a missing configmap'), /Error from server \(NotFound\): configmaps "never-was" not found/);
    assert.equal((await cluster.kubectl(['delete', '-n', 'scratch', 'configmap', 'never-was', '--ignore-not-found'])).code, 0);
  });

  void it('--dry-run=server, diff, chunked lists and wait', async () => {
    assert.match(await cluster.kubectlOk(['create', 'configmap', 'dry', '--from-literal=a=1', '--dry-run=server']), /^configmap\/dry created \(server dry run\)$/m);
    assert.match(failed(await cluster.kubectl(['get', 'configmap', 'dry']), 'get a dry-run object'), /configmaps "dry" not found/);
    await cluster.kubectlOk(['apply', '-f', '-'], { input: configMapYaml('diffed', { a: '1' }) });
    assert.match(await cluster.kubectlOk(['delete', 'configmap', 'diffed', '--dry-run=server']), /^configmap "diffed" deleted \(server dry run\)$/m);
    assert.equal(await cluster.kubectlOk(['get', 'configmap', 'diffed', '-o', 'jsonpath={.data.a}']), '1');

    const same = await cluster.kubectl(['diff', '-f', '-'], { input: configMapYaml('diffed', { a: '1' }) });
    assert.equal(same.code, 0, `diff of an unchanged object:\n${same.stdout}\n${same.stderr}`);
    const changed = await cluster.kubectl(['diff', '-f', '-'], { input: configMapYaml('diffed', { a: '2' }) });
    assert.equal(changed.code, 1, `diff of a changed object:\n${changed.stdout}\n${changed.stderr}`);
    assert.match(changed.stdout, /^-\s+a: "1"$/m);
    assert.match(changed.stdout, /^\+\s+a: "2"$/m);
    assert.equal(await cluster.kubectlOk(['get', 'configmap', 'diffed', '-o', 'jsonpath={.data.a}']), '1', 'diff changes nothing');

    for (let i = 0; i < 5; i++) await cluster.kubectlOk(['create', 'configmap', `chunk-${i}`, '--from-literal=i=x']);
    const chunked = await cluster.kubectl(['get', 'configmaps', '--chunk-size=2', '-v=6', '-o', 'name']);
    assert.equal(chunked.code, 0, chunked.stderr);
    for (let i = 0; i < 5; i++) assert.match(chunked.stdout, new RegExp(`^configmap/chunk-${i}$`, 'm'));
    assert.match(chunked.stderr, /configmaps\?limit=2 200/);
    assert.match(chunked.stderr, /configmaps\?continue=[^&\s]+&limit=2 200/);

    assert.match(await cluster.kubectlOk(['wait', '--for=jsonpath={.data.a}=1', 'configmap/diffed', '--timeout=20s']), /^configmap\/diffed condition met$/m);
    const waiter = cluster.kubectl(['wait', '--for=delete', 'configmap/diffed', '--timeout=30s']);
    await cluster.kubectlOk(['delete', 'configmap', 'diffed', '--wait=false']);
    const waited = await waiter;
    assert.equal(waited.code, 0, `${waited.stdout}\n${waited.stderr}`);
    // When the delete wins the race with wait's first GET, kubectl exits 0 without printing.
    assert.match(waited.stdout, /^(configmap\/diffed condition met\n)?$/);
  });

  void it('auth can-i answers yes for the admin and lists its rules', async () => {
    assert.equal((await cluster.kubectlOk(['auth', 'can-i', 'create', 'pods'])).trim(), 'yes');
    assert.equal((await cluster.kubectlOk(['auth', 'can-i', 'delete', 'deployments.apps', '-n', 'kube-system'])).trim(), 'yes');
    const list = await cluster.kubectlOk(['auth', 'can-i', '--list']);
    assert.deepEqual(columns(list), ['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']);
    assert.match(list, /^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
  });

  void it('prints the error texts users know', async () => {
    assert.match(failed(await cluster.kubectl(['get', 'pod', 'nope']), 'get a missing pod'), /^Error from server \(NotFound\): pods "nope" not found$/m);
    await cluster.kubectlOk(['create', 'configmap', 'twice']);
    assert.match(failed(await cluster.kubectl(['create', 'configmap', 'twice']), 'create twice'), /^error: failed to create configmap: configmaps "twice" already exists$|^Error from server \(AlreadyExists\): configmaps "twice" already exists$/m);
    assert.match(failed(await cluster.kubectl(['create', '-f', '-'], { input: configMapYaml('twice', {}) }), 'create -f twice'), /^Error from server \(AlreadyExists\): error when creating "STDIN": configmaps "twice" already exists$/m);
    assert.match(
      failed(await cluster.kubectl(['create', 'configmap', 'x', '-n', 'no-such-ns']), 'create into a missing namespace'),
      /namespaces "no-such-ns" not found/,
    );
    assert.match(
      failed(await cluster.kubectl(['create', '-n', 'no-such-ns', '-f', '-'], { input: configMapYaml('x', {}) }), 'create -f into a missing namespace'),
      /^Error from server \(NotFound\): error when creating "STDIN": namespaces "no-such-ns" not found$/m,
    );
    assert.match(failed(await cluster.kubectl(['get', 'nosuchkind']), 'get an unknown kind'), /error: the server doesn't have a resource type "nosuchkind"/);
  });

  void it('rejects values of the wrong JSON type as upstream decoding does', async () => {
    const wrongType = `apiVersion: v1
kind: ConfigMap
metadata: {name: typed}
data: {count: 3}
`;
    const r = await cluster.kubectl(['create', '-f', '-'], { input: wrongType });
    assert.match(
      failed(r, 'a ConfigMap with a number in data'),
      /ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap\.data of type string/,
    );
  });

  void it('rejects invalid Deployments with the upstream field errors', async () => {
    const noContainers = `apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad}}
    spec:
      containers: []
`;
    const r1 = await cluster.kubectl(['create', '-f', '-'], { input: noContainers });
    assert.match(failed(r1, 'a Deployment without containers'), /The Deployment "bad" is invalid: spec\.template\.spec\.containers: Required value/);
    const mismatch = `apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  selector: {matchLabels: {app: one}}
  template:
    metadata: {labels: {app: two}}
    spec:
      containers: [{name: c, image: "busybox:1"}]
`;
    const r2 = await cluster.kubectl(['create', '-f', '-'], { input: mismatch });
    assert.match(failed(r2, 'a Deployment whose selector does not match'), /The Deployment "bad" is invalid: spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/);
    const badName = await cluster.kubectl(['create', 'configmap', 'Bad_Name']);
    assert.match(failed(badName, 'an invalid name'), /Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
  });

  void it('replace with a stale resourceVersion is a Conflict', async () => {
    await cluster.kubectlOk(['create', 'configmap', 'raced', '--from-literal=v=1']);
    const stale = await cluster.kubectlOk(['get', 'configmap', 'raced', '-o', 'yaml']);
    await cluster.kubectlOk(['patch', 'configmap', 'raced', '--type=merge', '-p', '{"data":{"v":"2"}}']);
    const r = await cluster.kubectl(['replace', '-f', '-'], { input: stale.replace('v: "1"', 'v: "3"') });
    assert.match(
      failed(r, 'replace with a stale object'),
      /^Error from server \(Conflict\): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "raced": the object has been modified; please apply your changes to the latest version and try again$/m,
    );
    assert.deepEqual((await jsonOf(['configmap', 'raced'])).data, { v: '2' });
    const fresh = await cluster.kubectlOk(['get', 'configmap', 'raced', '-o', 'yaml']);
    assert.match(await cluster.kubectlOk(['replace', '-f', '-'], { input: fresh.replace('v: "2"', 'v: "4"') }), /^configmap\/raced replaced$/m);
  });

  const withUnknown = (name: string): string => DEPLOYMENT_WEB.replace('name: web\n', `name: ${name}\n`).replace('replicas: 2\n', 'replicas: 2\n  foo: bar\n');

  void it('strict field validation (kubectl default) rejects unknown fields', async () => {
    const r = await cluster.kubectl(['create', '-f', '-'], { input: withUnknown('strict') });
    assert.match(failed(r, 'create with an unknown field'), /strict decoding error: unknown field "spec\.foo"/);
  });

  void it('--validate=false accepts unknown fields and drops them', async () => {
    const ok = await cluster.kubectl(['create', '--validate=false', '-f', '-'], { input: withUnknown('lenient') });
    assert.equal(ok.code, 0, `${ok.stdout}\n${ok.stderr}`);
    assert.match(ok.stdout, /^deployment\.apps\/lenient created$/m);
    assert.equal(((await jsonOf(['deployment', 'lenient'])).spec as Record<string, unknown>).foo, undefined);
  });

  void it('--validate=warn accepts unknown fields with a warning', async () => {
    const warn = await cluster.kubectl(['apply', '--validate=warn', '-f', '-'], { input: withUnknown('warned') });
    assert.equal(warn.code, 0, `${warn.stdout}\n${warn.stderr}`);
    assert.match(warn.stderr, /Warning: unknown field "spec\.foo"/);
    assert.equal(((await jsonOf(['deployment', 'warned'])).spec as Record<string, unknown>).foo, undefined, 'unknown fields are dropped, not stored');
  });

  for (const version of ['1.27', '1.33']) {
    void it(`kubectl ${version} smoke: get, apply, create deployment, delete`, async (t) => {
      const dir = dirname(realpathSync((await runCommand('sh', ['-c', 'command -v kubectl'])).stdout.trim()));
      const binary = join(dir, `kubectl.${version}`);
      if (!existsSync(binary)) {
        t.skip(`${binary} is not installed`);
        return;
      }
      const tag = version.replace('.', '-');
      const opts = { binary };
      assert.match(await cluster.kubectlOk(['get', 'namespaces'], opts), /^default\s+Active\s+/m);
      assert.match(await cluster.kubectlOk(['apply', '-f', '-'], { binary, input: configMapYaml(`v${tag}`, { a: '1' }) }), new RegExp(`^configmap/v${tag} created$`, 'm'));
      assert.match(await cluster.kubectlOk(['apply', '-f', '-'], { binary, input: configMapYaml(`v${tag}`, { a: '2' }) }), new RegExp(`^configmap/v${tag} configured$`, 'm'));
      assert.match(await cluster.kubectlOk(['create', 'deployment', `v${tag}`, '--image=nginx:1'], opts), new RegExp(`^deployment\\.apps/v${tag} created$`, 'm'));
      assert.match(await cluster.kubectlOk(['run', `v${tag}`, '--image=busybox:1', '--restart=Never'], opts), new RegExp(`^pod/v${tag} created$`, 'm'));
      const pods = await cluster.kubectlOk(['get', 'pods', `v${tag}`], opts);
      assert.deepEqual(columns(pods), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      assert.equal(await cluster.kubectlOk(['get', 'deployment', `v${tag}`, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'], opts), 'nginx:1');
      assert.match(await cluster.kubectlOk(['delete', 'deployment', `v${tag}`], opts), new RegExp(`^deployment\\.apps "v${tag}" deleted`, 'm'));
      assert.match(await cluster.kubectlOk(['delete', 'pod', `v${tag}`], opts), new RegExp(`^pod "v${tag}" deleted`, 'm'));
      assert.match(await cluster.kubectlOk(['delete', 'configmap', `v${tag}`], opts), new RegExp(`^configmap "v${tag}" deleted`, 'm'));
    });
  }
});
