/**
 * Volumes, env and name resolution on a real runc node, driven by real kubectl: one pod mounts a ConfigMap, a
 * Secret, a downwardAPI volume, a memory emptyDir and a disk emptyDir its two containers share, and the
 * service-account token volume the API server adds; it gets env from a ConfigMap, a Secret, fieldRefs and the
 * service variables of a Service created before it; its /etc/hosts and resolv.conf name it and the cluster.
 * `kubectl logs` shows what the container saw. A ConfigMap change reaches the volume; a missing ConfigMap keeps a
 * container in CreateContainerConfigError until it exists; a local-path claim's data survives pod
 * delete/recreate; a subPath that escapes its volume through a symlink is refused.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerHostMissing } from '../harness/host-tools.js';
import { getPod, waitForNodeReady, waitForPodPhase } from '../harness/pods.js';
import { deletePodsAndCleanUp } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();

interface PodJson {
  metadata?: { uid?: string };
  spec?: { volumes?: { name: string }[] };
  status?: { phase?: string; podIP?: string; containerStatuses?: { name: string; state: { waiting?: { reason: string; message?: string }; running?: unknown } }[] };
}

const MAIN_POD = `
apiVersion: v1
kind: Pod
metadata:
  name: main
  labels: { app: main, tier: web }
spec:
  hostname: main
  subdomain: sub
  volumes:
  - { name: cfg, configMap: { name: app-config } }
  - { name: sec, secret: { secretName: app-secret, defaultMode: 0400 } }
  - { name: info, downwardAPI: { items: [ { path: labels, fieldRef: { fieldPath: metadata.labels } } ] } }
  - { name: shared, emptyDir: {} }
  - { name: mem, emptyDir: { medium: Memory, sizeLimit: 8Mi } }
  containers:
  - name: writer
    image: busybox
    command: [sh, -c, 'echo from-writer > /shared/msg; echo in-memory > /mem/x; sleep 3600']
    volumeMounts: [ { name: shared, mountPath: /shared }, { name: mem, mountPath: /mem } ]
  - name: reader
    image: busybox
    command:
    - sh
    - -c
    - |
      until [ -f /shared/msg ]; do sleep 1; done
      echo "shared=$(cat /shared/msg)"
      echo "cfg=$(cat /cfg/greeting)"
      echo "sec=$(cat /sec/password)"
      echo "labels=$(cat /info/labels | tr '\\n' ' ')"
      echo "ns=$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)"
      echo "token=$(head -c 3 /var/run/secrets/kubernetes.io/serviceaccount/token)"
      grep -q CERTIFICATE /var/run/secrets/kubernetes.io/serviceaccount/ca.crt && echo ca=ok
      echo "env=$GREETING/$PW/$POD_NAME/$POD_NS/$MODE_EXPANDED/$CFG_mode"
      echo "svc=$BACKEND_SERVICE_HOST:$BACKEND_SERVICE_PORT $BACKEND_PORT"
      echo "kube=$KUBERNETES_SERVICE_PORT"
      echo "ro=$(touch /cfg/new 2>/dev/null && echo writable || echo read-only)"
      grep -q 'main.sub.default.svc.cluster.local' /etc/hosts && echo hosts=ok
      grep -q 'search default.svc.cluster.local svc.cluster.local cluster.local' /etc/resolv.conf && grep -q 'ndots:5' /etc/resolv.conf && echo resolv=ok
      echo done
      sleep 3600
    env:
    - { name: GREETING, valueFrom: { configMapKeyRef: { name: app-config, key: greeting } } }
    - { name: PW, valueFrom: { secretKeyRef: { name: app-secret, key: password } } }
    - { name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
    - { name: POD_NS, valueFrom: { fieldRef: { fieldPath: metadata.namespace } } }
    - { name: MODE_EXPANDED, value: 'mode-$(CFG_mode)' }
    envFrom:
    - { configMapRef: { name: app-config }, prefix: CFG_ }
    volumeMounts:
    - { name: shared, mountPath: /shared }
    - { name: cfg, mountPath: /cfg }
    - { name: sec, mountPath: /sec }
    - { name: info, mountPath: /info }
`;

function pvcPod(name: string): string {
  return `
apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  restartPolicy: Never
  volumes: [ { name: data, persistentVolumeClaim: { claimName: data } } ]
  containers:
  - name: c
    image: busybox
    command: [sh, -c, 'cat /data/stamp 2>/dev/null || echo no-stamp; echo persisted > /data/stamp']
    volumeMounts: [ { name: data, mountPath: /data } ]
`;
}

void describe('kubelet volumes and env on the runc runtime', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-vol-${process.pid}`;
  const pvDirs: string[] = [];
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node, '--kubelet-port', '0'] });
  });
  after(async () => {
    if (!c) return;
    // Whatever the kubelet left: containers, mounts (the tmpfs of the memory emptyDir included), netns, cgroups.
    await deletePodsAndCleanUp(c);
    for (const d of pvDirs) rmSync(d, { recursive: true, force: true });
    // The local-path base (/var/lib/tkube/storage) goes too when this test was its only user.
    for (const d of pvDirs) execFileSync('sh', ['-c', `rmdir "${dirname(d)}" "${dirname(dirname(d))}" 2>/dev/null; true`]);
  });

  const pod = (name: string): Promise<PodJson> => getPod<PodJson>(c, name);
  const running = (name: string): Promise<PodJson> => waitForPodPhase<PodJson>(c, name, ['Running']);

  void it('mounts ConfigMap, Secret, downwardAPI, emptyDirs and the token, and builds env, hosts and resolv.conf', async () => {
    await waitForNodeReady(c, node);
    await c.kubectlOk(['create', 'configmap', 'app-config', '--from-literal=greeting=hello', '--from-literal=mode=fast']);
    await c.kubectlOk(['create', 'secret', 'generic', 'app-secret', '--from-literal=password=s3cret']);
    await c.kubectlOk(['create', 'service', 'clusterip', 'backend', '--tcp=8080:8080']);
    const svcIP = (await c.kubectlOk(['get', 'service', 'backend', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    await c.kubectlOk(['apply', '-f', '-'], { input: MAIN_POD });
    const p = await running('main');
    const logs = await eventually(async () => {
      const out = (await c.kubectl(['logs', 'main', '-c', 'reader'])).stdout;
      return out.includes('done') ? out : undefined;
    }, 60_000);
    const lines = logs.trim().split('\n');
    assert.deepEqual(lines, [
      'shared=from-writer',
      'cfg=hello',
      'sec=s3cret',
      'labels=app="main" tier="web"',
      'ns=default',
      'token=eyJ',
      'ca=ok',
      'env=hello/s3cret/main/default/mode-fast/fast',
      `svc=${svcIP}:8080 tcp://${svcIP}:8080`,
      'kube=443',
      'ro=read-only',
      'hosts=ok',
      'resolv=ok',
      'done',
    ]);
    const uid = p.metadata?.uid ?? '';
    const volumes = join(c.dataDir, 'agent', 'pods', uid, 'volumes');
    const memDir = join(volumes, 'kubernetes.io~empty-dir', 'mem');
    const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(mountinfo.includes(` ${memDir} `), 'the memory emptyDir is a tmpfs');
    // Memory-backed volumes (secret, projected, downwardAPI) live in the node's volatile tmpfs, with the pod's other
    // files that die with it; a memory emptyDir is mounted where disk ones are.
    // (on that tmpfs, not each on one of its own: one mount less per volume in the host's table).
    const volatile = join(c.dataDir, 'agent', 'run', 'pods', uid);
    const TMPFS_MAGIC = 0x01021994;
    assert.equal(statfsSync(join(volatile, 'volumes', 'kubernetes.io~secret', 'sec')).type, TMPFS_MAGIC, 'the secret volume is in memory');
    assert.ok(mountinfo.includes(` ${join(c.dataDir, 'agent', 'run')} `), 'the volatile pod files are on a tmpfs of the node');
    assert.ok(existsSync(join(volatile, 'etc-hosts')));

    // A ConfigMap change reaches the volume (atomically, through the ..data link) within the refresh period.
    await c.kubectlOk(['patch', 'configmap', 'app-config', '--type=merge', '-p', '{"data":{"greeting":"bonjour"}}']);
    await eventually(() => readFileSync(join(volumes, 'kubernetes.io~configmap', 'cfg', 'greeting'), 'utf8') === 'bonjour', 30_000, 250);

    await c.kubectlOk(['delete', 'pod', 'main', '--grace-period=1', '--timeout=60s']);
    await eventually(() => !existsSync(join(c.dataDir, 'agent', 'pods', uid)), 30_000);
    assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(join(c.dataDir, 'agent', 'pods', uid)), false, 'the tmpfs mounts (memory emptyDir, secret, token) are gone');
  });

  void it('keeps a container in CreateContainerConfigError while its ConfigMap is missing', async () => {
    await c.kubectlOk(['run', 'needs-cm', '--image=busybox', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'needs-cm', image: 'busybox', command: ['sh', '-c', 'echo "v=$V"; sleep 3600'], env: [{ name: 'V', valueFrom: { configMapKeyRef: { name: 'later', key: 'k' } } }] }] } })]);
    const waiting = await eventually(async () => {
      const s = (await pod('needs-cm')).status?.containerStatuses?.[0]?.state.waiting;
      return s?.reason === 'CreateContainerConfigError' ? s : undefined;
    }, 30_000);
    assert.equal(waiting.message, 'configmap "later" not found');
    await c.kubectlOk(['create', 'configmap', 'later', '--from-literal=k=now']);
    await running('needs-cm');
    await eventually(async () => (await c.kubectl(['logs', 'needs-cm'])).stdout === 'v=now\n', 30_000);
  });

  void it('keeps a local-path claim\'s data across pod delete and recreate', async () => {
    await c.kubectlOk(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: data }\nspec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 10Mi } } }\n' });
    await c.kubectlOk(['apply', '-f', '-'], { input: pvcPod('pvc-1') });
    await eventually(async () => (await pod('pvc-1')).status?.phase === 'Succeeded', 60_000);
    const pv = (await c.kubectlOk(['get', 'pvc', 'data', '-o', 'jsonpath={.spec.volumeName}'])).trim();
    const path = (await c.kubectlOk(['get', 'pv', pv, '-o', 'jsonpath={.spec.hostPath.path}'])).trim();
    pvDirs.push(path);
    assert.equal(await c.kubectlOk(['logs', 'pvc-1']), 'no-stamp\n');
    assert.equal(readFileSync(join(path, 'stamp'), 'utf8'), 'persisted\n');
    await c.kubectlOk(['delete', 'pod', 'pvc-1', '--grace-period=1', '--timeout=60s']);
    await c.kubectlOk(['apply', '-f', '-'], { input: pvcPod('pvc-2') });
    await eventually(async () => (await pod('pvc-2')).status?.phase === 'Succeeded', 60_000);
    assert.equal(await c.kubectlOk(['logs', 'pvc-2']), 'persisted\n');
  });

  void it('refuses a subPath that escapes its volume through a symlink', async () => {
    const vol = join(c.dataDir, 'escape-volume');
    mkdirSync(vol, { recursive: true });
    symlinkSync('/', join(vol, 'evil'));
    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'escape' },
        spec: { volumes: [{ name: 'v', hostPath: { path: vol, type: 'Directory' } }], containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], volumeMounts: [{ name: 'v', mountPath: '/host', subPath: 'evil' }] }] },
      }),
    });
    const waiting = await eventually(async () => {
      const s = (await pod('escape')).status?.containerStatuses?.[0]?.state.waiting;
      return s?.reason === 'CreateContainerConfigError' ? s : undefined;
    }, 30_000);
    assert.match(waiting.message ?? '', /^failed to prepare subPath for volumeMount "v" of container "c": subpath "\/" not within volume path/);
  });

  void it('reports a failed hostPath type check as a FailedMount event and keeps the pod creating', async () => {
    const file = join(c.dataDir, 'not-a-dir');
    writeFileSync(file, '');
    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'bad-host' },
        spec: { volumes: [{ name: 'v', hostPath: { path: file, type: 'Directory' } }], containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], volumeMounts: [{ name: 'v', mountPath: '/h' }] }] },
      }),
    });
    const event = await eventually(async () => {
      const events = JSON.parse(await c.kubectlOk(['get', 'events', '-o', 'json'])) as { items: { reason?: string; message?: string; type?: string; involvedObject?: { name?: string } }[] };
      return events.items.find((e) => e.involvedObject?.name === 'bad-host' && e.reason === 'FailedMount');
    }, 30_000);
    assert.equal(event.type, 'Warning');
    assert.equal(event.message, `MountVolume.SetUp failed for volume "v" : hostPath type check failed: ${file} is not a directory`);
    assert.equal((await pod('bad-host')).status?.containerStatuses?.[0]?.state.waiting?.reason, 'ContainerCreating');
  });
});
