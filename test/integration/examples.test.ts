/**
 * The walkthroughs in examples/ on a real runc node, step by step as their READMEs tell them, with real kubectl
 * and the offline stand-in images (`tkube images stand-ins`):
 *   - Jenkins (examples/jenkins, 2014 v1beta1 JSON): the server's answer to a v1beta1 body names `tkube convert`;
 *     the converted pod runs with its hostPort, emptyDir and hostPath volumes and labels; the Service's external
 *     load balancer answers; the slaves (a replication controller started after the Service) find the master
 *     through the Service's environment variables; the controller is scaled 2→3→1; a killed container restarts
 *     (restartCount rises, the emptyDir keeps its data); the node is cordoned and uncordoned;
 *   - WorkBinder (examples/workbinder): `kubectl create deployment … -- /bin/sh ./startBinderJobLocal.sh …`;
 *   - hello-minikube (examples/hello-minikube): the echo server behind `expose --type=NodePort`, fetched from the
 *     host, answers again after its pod is deleted and replaced;
 * and last, the node is taken out of the cluster (`kubectl delete node`): new pods wait Pending, unschedulable.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { convertLegacyDocuments } from '../../src/api/legacy/v1beta1-convert.js';
import { freePort } from '../../src/base/net/free-port.js';
import { addExampleStandIns } from '../../src/boot/images.js';
import { commandExists, containerHostMissing } from '../harness/host-tools.js';
import { httpGetBody } from '../harness/http-get.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { eventually, REPO_ROOT, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing() || (commandExists('nft') ? false : 'needs nft');

interface PodJson {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string }[]; containerStatuses?: { restartCount: number; containerID?: string; ready?: boolean }[] };
}

const example = (path: string): string => readFileSync(join(REPO_ROOT, 'examples', path), 'utf8');

/**
 * convert is what `tkube convert -f FILE` prints, done in-process (the command line itself is tested in
 * logs-install-service-cli.test.ts; each CLI start costs seconds on a busy machine).
 */
function convert(text: string): string {
  const r = convertLegacyDocuments([JSON.parse(text)]);
  assert.deepEqual([r.errors, r.warnings], [[], []]);
  return r.objects.map((o) => stringify(o)).join('---\n');
}

void describe('examples: the Jenkins, WorkBinder and hello-minikube walkthroughs', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-ex-${process.pid}`;
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node] });
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'rc,deployment,service', '--all', '--wait=false']);
    // The node is gone by now (the last step), so nothing would finish a graceful delete: the pods are removed at
    // once, and their containers, mounts and network namespaces by the runc clean-up.
    await c.kubectl(['delete', 'pods', '--all', '--force', '--grace-period=0']);
    await cleanupRuncNode(c);
  });

  const pods = async (selector: string): Promise<PodJson[]> => (JSON.parse(await c.kubectlOk(['get', 'pods', '-l', selector, '-o', 'json'])) as { items: PodJson[] }).items;
  const pod = async (name: string): Promise<PodJson> => JSON.parse(await c.kubectlOk(['get', 'pod', name, '-o', 'json'])) as PodJson;
  const running = (selector: string, n: number, timeoutMs = 60_000): Promise<PodJson[]> =>
    eventually(async () => {
      const list = await pods(selector);
      return list.length === n && list.every((p) => p.status?.phase === 'Running') ? list : undefined;
    }, timeoutMs);

  void it('Jenkins: v1beta1 files are refused with a pointer to tkube convert, and run once converted', async () => {
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    // `tkube images stand-ins --data-dir D`, in-process.
    const added = await addExampleStandIns(c.dataDir);
    assert.ok(added.some((i) => i.refs.includes('docker.io/library/jenkins:latest')));

    // The 2014 file as the walkthrough posts it: the server says what to do.
    const refused = await c.kubectl(['create', '--raw', '/api/v1/namespaces/default/pods', '-f', join(REPO_ROOT, 'examples/jenkins/jenkins-pod.json')]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /\(BadRequest\).*Pod is in apiVersion v1beta1.*tkube convert -f FILE/);
    const oldPath = await c.request('/api/v1beta1/pods', { method: 'POST', headers: { 'content-type': 'application/json' }, body: example('jenkins/jenkins-pod.json') });
    assert.equal(oldPath.status, 404);
    assert.match(JSON.parse(oldPath.body).message as string, /does not serve \/api\/v1beta1.*tkube convert -f FILE/);

    // On a shared machine the fixed ports and host directory of the file are swapped for free ones.
    const hostPort = await freePort();
    const lbPort = await freePort();
    const backup = join(c.dataDir, 'jenkins-backup');
    mkdirSync(backup);
    for (const text of [
      example('jenkins/jenkins-pod.json').replace('"hostPort": 8080', `"hostPort": ${hostPort}`).replace('/srv/jenkins-backup', backup),
      example('jenkins/jenkins-service.json').replace('"port": 8888', `"port": ${lbPort}`),
    ]) {
      await c.kubectlOk(['apply', '-f', '-'], { input: convert(text) });
    }
    const master = await eventually(async () => {
      const p = await pod('jenkins');
      return p.status?.phase === 'Running' ? p : undefined;
    }, 60_000);
    assert.deepEqual(master.metadata.labels, { name: 'jenkins', role: 'master' });
    assert.match(await c.kubectlOk(['get', 'pods', '-l', 'name=jenkins']), /^jenkins +1\/1 +Running/m);
    // The hostPort answers on the node; the hostPath got the start line.
    const viaHostPort = await eventually(() => httpGetBody('127.0.0.1', hostPort), 30_000, 250);
    assert.match(viaHostPort, /^Jenkins \(tkube stand-in\) on jenkins, start 1$/);
    assert.match(readFileSync(join(backup, 'jenkins.log'), 'utf8'), /jenkins started on jenkins\n$/);
    // The Service's external load balancer (createExternalLoadBalancer) answers from the host.
    const external = await eventually(async () => (await c.kubectlOk(['get', 'service', 'jenkins', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])).trim() || undefined, 30_000);
    assert.match(await eventually(() => httpGetBody(external, lbPort), 30_000, 250), /^Jenkins \(tkube stand-in\) on jenkins/);
  });

  void it('Jenkins: slaves find the master through the Service variables; the controller scales 2, 3, 1', async () => {
    await c.kubectlOk(['create', '-f', '-'], { input: convert(example('jenkins/jenkins-slave-controller.json')) });
    const slaves = await running('name=jenkins-slave', 2);
    const clusterIP = (await c.kubectlOk(['get', 'service', 'jenkins', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const first = slaves[0]!.metadata.name;
    let log = '';
    await eventually(async () => {
      log = await c.kubectlOk(['logs', first]);
      return log.includes(`master at ${clusterIP}:`) && /master says: Jenkins \(tkube stand-in\) on jenkins/.test(log);
    }, 45_000).catch((err: unknown) => assert.fail(`${String(err)}; the slave printed:\n${log.slice(-1500)}`));
    await c.kubectlOk(['scale', 'rc', 'jenkins-slave', '--replicas=3']);
    await running('name=jenkins-slave', 3);
    assert.match(await c.kubectlOk(['get', 'rc', 'jenkins-slave']), /^jenkins-slave +3 +3 +\d/m);
    await c.kubectlOk(['scale', 'rc', 'jenkins-slave', '--replicas=1']);
    await running('name=jenkins-slave', 1);
  });

  void it('Jenkins: a killed container is restarted, its emptyDir kept; the node is cordoned and uncordoned', async () => {
    const before = (await pod('jenkins')).status?.containerStatuses?.[0];
    const id = /^runc:\/\/([0-9a-f]+)$/.exec(before?.containerID ?? '')?.[1];
    assert.ok(id, `container id of ${before?.containerID ?? '(none)'}`);
    // What `docker kill` on the minion was in 2014: the container's process dies from outside.
    execFileSync('runc', ['--root', join(c.dataDir, 'agent', 'runc', 'runc'), 'kill', id, 'KILL']);
    await eventually(async () => {
      const s = (await pod('jenkins')).status?.containerStatuses?.[0];
      return s !== undefined && s.restartCount > (before?.restartCount ?? 0) && s.ready === true;
    }, 60_000);
    // The emptyDir outlives the container: the new one counts two starts.
    const hostPort = Number(await c.kubectlOk(['get', 'pod', 'jenkins', '-o', 'jsonpath={.spec.containers[0].ports[0].hostPort}']));
    assert.match(await eventually(() => httpGetBody('127.0.0.1', hostPort), 30_000, 250), /start 2$/);

    await c.kubectlOk(['cordon', node]);
    await c.kubectlOk(['scale', 'rc', 'jenkins-slave', '--replicas=2']);
    const pending = await eventually(async () => (await pods('name=jenkins-slave')).find((p) => p.status?.phase === 'Pending' && !p.spec?.nodeName), 30_000);
    await c.kubectlOk(['uncordon', node]);
    await eventually(async () => (await pod(pending.metadata.name)).status?.phase === 'Running', 60_000);
  });

  void it('WorkBinder: kubectl create deployment -- /bin/sh ./startBinderJobLocal.sh runs the worker', async () => {
    await c.kubectlOk(['create', 'deployment', 'workbinder', '--image=workbinder/worker', '--', '/bin/sh', './startBinderJobLocal.sh', 'ce01', 'route-a', 'job-42', '/tmp/job-42.log']);
    const [worker] = await running('app=workbinder', 1);
    assert.match(await c.kubectlOk(['get', 'deploy', 'workbinder']), /^workbinder +1\/1 +1 +1 /m);
    assert.match(await c.kubectlOk(['get', 'pods']), new RegExp(`^${worker!.metadata.name} +1/1 +Running`, 'm'));
    await eventually(async () => (await c.kubectlOk(['logs', worker!.metadata.name])).includes('CE=ce01 ROUTINGINFO=route-a JOBID=job-42 LOGFILE=/tmp/job-42.log'), 20_000);
    assert.match(await c.kubectlOk(['exec', worker!.metadata.name, '--', 'cat', '/tmp/job-42.log']), /job job-42: step 1/);
  });

  void it('hello-minikube: the echo server answers through its NodePort, and again after its pod is replaced', async () => {
    await c.kubectlOk(['create', 'deployment', 'hello-minikube', '--image=k8s.gcr.io/echoserver:1.4']);
    await c.kubectlOk(['expose', 'deployment', 'hello-minikube', '--type=NodePort', '--port=8080']);
    const nodePort = Number(await c.kubectlOk(['get', 'service', 'hello-minikube', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    assert.ok(nodePort >= 30000 && nodePort <= 32767, `nodePort ${nodePort}`);
    const [first] = await running('app=hello-minikube', 1);
    const body = await eventually(() => httpGetBody('127.0.0.1', nodePort), 30_000, 250);
    assert.match(body, /^CLIENT VALUES:\n/);
    assert.match(body, /command=GET\nreal path=\/\n/);
    assert.match(body, new RegExp(`request_uri=http://127\\.0\\.0\\.1:${nodePort}/`));
    assert.match(body, new RegExp(`on ${first!.metadata.name}`));
    await c.kubectlOk(['delete', 'pod', first!.metadata.name, '--grace-period=1']);
    const [second] = await eventually(async () => {
      const list = await running('app=hello-minikube', 1);
      return list[0]?.metadata.name !== first!.metadata.name ? list : undefined;
    }, 60_000);
    await eventually(async () => (await httpGetBody('127.0.0.1', nodePort))?.includes(`on ${second!.metadata.name}`), 30_000, 250);
  });

  void it('the node taken out of the cluster: new pods wait Pending with no node to run on', async () => {
    await c.kubectlOk(['delete', 'node', node]);
    assert.match((await c.kubectl(['get', 'nodes'])).stderr, /No resources found/);
    // (The pods bound to the deleted node are removed by pod GC after --node-monitor-grace-period, 50 s by default;
    // their controllers' replacements then wait here too.)
    await c.kubectlOk(['scale', 'rc', 'jenkins-slave', '--replicas=3']);
    const waiting = await eventually(async () => {
      const list = await pods('name=jenkins-slave');
      const p = list.find((x) => !x.spec?.nodeName);
      const scheduled = p?.status?.conditions?.find((x) => x.type === 'PodScheduled');
      return p && scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' ? p : undefined;
    }, 30_000);
    assert.equal(waiting.status?.phase, 'Pending');
  });
});
