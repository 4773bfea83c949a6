import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { convertLegacyDocuments, convertLegacyObject } from './v1beta1-convert.js';

const example = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../../examples/jenkins/${name}`, import.meta.url), 'utf8'));

void describe('v1beta1 conversion', () => {
  void it("converts the Jenkins walkthrough's pod: ports, volumes, labels, restart policy, cpu", () => {
    const r = convertLegacyDocuments([example('jenkins-pod.json')]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.objects, [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'jenkins', labels: { name: 'jenkins', role: 'master' } },
        spec: {
          containers: [
            {
              name: 'jenkins',
              image: 'jenkins',
              ports: [{ name: 'http', containerPort: 8080, hostPort: 8080 }],
              resources: { limits: { cpu: '500m' } },
              volumeMounts: [
                { name: 'jenkins-home', mountPath: '/var/jenkins_home' },
                { name: 'jenkins-backup', mountPath: '/var/jenkins_backup' },
              ],
            },
          ],
          volumes: [
            { name: 'jenkins-home', emptyDir: {} },
            { name: 'jenkins-backup', hostPath: { path: '/srv/jenkins-backup' } },
          ],
          restartPolicy: 'Always',
        },
      },
    ]);
  });

  void it('converts the Service: one port, containerPort as targetPort, the external load balancer', () => {
    const r = convertLegacyDocuments([example('jenkins-service.json')]);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.objects[0], {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'jenkins', labels: { name: 'jenkins' } },
      spec: { ports: [{ port: 8888, protocol: 'TCP', targetPort: 8080 }], selector: { name: 'jenkins' }, type: 'LoadBalancer' },
    });
  });

  void it('converts the ReplicationController: replicas, replicaSelector, podTemplate', () => {
    const r = convertLegacyDocuments([example('jenkins-slave-controller.json')]);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.objects[0], {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'jenkins-slave', labels: { name: 'jenkins-slave' } },
      spec: {
        replicas: 2,
        selector: { name: 'jenkins-slave' },
        template: {
          metadata: { labels: { name: 'jenkins-slave', role: 'slave' } },
          spec: { containers: [{ name: 'jenkins-slave', image: 'jenkins-slave', resources: { limits: { cpu: '250m' } } }] },
        },
      },
    });
  });

  void it('maps the 2014 spellings: command to args, env key, volume path, pull policy, hostDir, no source, restart never', () => {
    const r = convertLegacyObject({
      kind: 'Pod',
      apiVersion: 'v1beta2',
      id: 'old',
      currentState: { status: 'Running' },
      creationTimestamp: '2014-08-01T00:00:00Z',
      desiredState: {
        host: 'minion-1',
        manifest: {
          version: 'v1beta1',
          containers: [
            {
              name: 'c',
              image: 'busybox',
              command: ['sleep', '10'],
              env: [{ key: 'A', value: '1' }],
              memory: 67108864,
              volumeMounts: [{ name: 'scratch', path: '/scratch', readOnly: true, mountType: 'LOCAL' }],
              imagePullPolicy: 'PullNever',
              livenessProbe: { type: 'http', httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 15 },
            },
          ],
          volumes: [{ name: 'scratch', source: null }],
          restartPolicy: { never: {} },
        },
      },
    });
    assert.ok('object' in r);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.object['spec'], {
      nodeName: 'minion-1',
      containers: [
        {
          name: 'c',
          image: 'busybox',
          args: ['sleep', '10'],
          env: [{ name: 'A', value: '1' }],
          resources: { limits: { memory: '67108864' } },
          volumeMounts: [{ name: 'scratch', mountPath: '/scratch', readOnly: true }],
          livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 15 },
          imagePullPolicy: 'Never',
        },
      ],
      volumes: [{ name: 'scratch', emptyDir: {} }],
      restartPolicy: 'Never',
    });
  });

  void it('names every field it does not carry over, and refuses kinds and versions it does not know', () => {
    const r = convertLegacyDocuments([
      {
        kind: 'List',
        items: [
          { kind: 'Pod', apiVersion: 'v1beta1', id: 'p', nodeSelctor: {}, desiredState: { manifest: { containers: [{ name: 'c', image: 'i', bogus: 1 }] } } },
          { kind: 'Minion', apiVersion: 'v1beta1', id: 'm' },
          { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'new' } },
          { kind: 'Pod', apiVersion: 'v1beta3', id: 'x' },
          { kind: 'Service', apiVersion: 'v1beta1', port: 80 },
        ],
      },
    ]);
    assert.deepEqual(r.warnings, [
      'Pod "p": desiredState.manifest.containers[0].bogus: not a v1beta1 field tkube converts; dropped',
      'Pod "p": nodeSelctor: not a v1beta1 field tkube converts; dropped',
      'Pod "new": already v1; passed through unchanged',
    ]);
    assert.deepEqual(r.errors, [
      'Minion "m": kind "Minion" is not one tkube converts from v1beta1 (Pod, Service, ReplicationController)',
      'Pod "x": apiVersion "v1beta3" is not one tkube converts (want v1beta1 or v1beta2)',
      'Service "": has no "id" (the v1 name)',
    ]);
    assert.deepEqual(
      r.objects.map((o) => (o['metadata'] as { name: string }).name),
      ['p', 'new'],
    );
  });
});
