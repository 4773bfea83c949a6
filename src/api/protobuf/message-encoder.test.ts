import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinSchemas } from '../schema/schema-registry.js';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf } from './kubernetes-protobuf.js';
import { MessageDecoder } from './message-decoder.js';
import { MessageEncoder } from './message-encoder.js';
import { ProtobufEncodeError } from './protobuf-errors.js';

const lookup = builtinSchemas();

const META = {
  name: 'web-7d4b9c',
  namespace: 'shop',
  uid: '1f7c2a8e-5b1d-4c9e-9a57-0c1d2e3f4a5b',
  resourceVersion: '4242',
  generation: 3,
  creationTimestamp: '2024-05-01T10:00:00Z',
  labels: { app: 'web', tier: 'frontend' },
  annotations: { 'example.com/note': 'keep me', 'deployment.kubernetes.io/revision': '2' },
  ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d4b9c', uid: 'aa-bb', controller: true, blockOwnerDeletion: true }],
  finalizers: ['example.com/cleanup'],
  managedFields: [
    {
      manager: 'kubectl-client-side-apply',
      operation: 'Update',
      apiVersion: 'v1',
      time: '2024-05-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
    },
  ],
};

const POD_SPEC = {
  volumes: [
    { name: 'cache', emptyDir: {} },
    { name: 'config', configMap: { name: 'web-config', items: [{ key: 'app.yaml', path: 'app.yaml' }], defaultMode: 420 } },
    { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600, audience: 'api' } }] } },
  ],
  initContainers: [{ name: 'init', image: 'busybox:1.36', command: ['sh', '-c', 'true'] }],
  containers: [
    {
      name: 'web',
      image: 'nginx:1.25',
      args: ['-g', 'daemon off;'],
      ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
      env: [
        { name: 'MODE', value: 'prod' },
        { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password', optional: false } } },
      ],
      envFrom: [{ configMapRef: { name: 'web-env' }, prefix: 'CFG_' }],
      resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } },
      volumeMounts: [{ name: 'cache', mountPath: '/cache' }, { name: 'config', mountPath: '/etc/web', readOnly: true }],
      livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 5, periodSeconds: 10 },
      readinessProbe: { tcpSocket: { port: 80 }, failureThreshold: 3 },
      lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
      imagePullPolicy: 'IfNotPresent',
      securityContext: { runAsNonRoot: true, runAsUser: 101, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    },
  ],
  restartPolicy: 'Always',
  terminationGracePeriodSeconds: 30,
  dnsPolicy: 'ClusterFirst',
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  serviceAccountName: 'web',
  automountServiceAccountToken: false,
  enableServiceLinks: false,
  securityContext: { fsGroup: 2000, sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
  affinity: {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] }, topologyKey: 'kubernetes.io/hostname' } },
      ],
    },
  },
  tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
  priority: 0,
  topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'web' } } }],
};

const OBJECTS: Readonly<Record<string, Record<string, unknown>>> = {
  Pod: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: META,
    spec: POD_SPEC,
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T10:00:05Z' }],
      hostIP: '10.0.0.5',
      podIP: '10.244.1.7',
      podIPs: [{ ip: '10.244.1.7' }],
      startTime: '2024-05-01T10:00:01Z',
      containerStatuses: [
        {
          name: 'web',
          ready: true,
          restartCount: 2,
          image: 'nginx:1.25',
          imageID: 'sha256:abc',
          started: true,
          state: { running: { startedAt: '2024-05-01T10:00:02Z' } },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2024-05-01T09:00:00Z', finishedAt: '2024-05-01T09:59:00Z' } },
        },
      ],
      qosClass: 'Burstable',
    },
  },
  Deployment: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: POD_SPEC },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: { observedGeneration: 3, replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1 },
  },
  Service: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      type: 'LoadBalancer',
      selector: { app: 'web' },
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 31080 },
        { name: 'https', protocol: 'TCP', port: 443, targetPort: 8443, appProtocol: 'https' },
      ],
      clusterIP: '10.96.0.20',
      clusterIPs: ['10.96.0.20'],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 32000,
    },
    status: { loadBalancer: { ingress: [{ ip: '192.0.2.10', ports: [{ port: 80, protocol: 'TCP' }] }] } },
  },
  Secret: {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'shop' },
    type: 'Opaque',
    immutable: true,
    data: { password: Buffer.from('s3cr3t\u0000\u00ff').toString('base64'), empty: '' },
    stringData: { note: 'plain text' },
  },
  Namespace: {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' }, deletionTimestamp: '2024-05-02T00:00:00Z', deletionGracePeriodSeconds: 0 },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Terminating', conditions: [{ type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted' }] },
  },
  ServiceAccount: {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'web', namespace: 'shop' },
    secrets: [{ name: 'web-token' }],
    imagePullSecrets: [{ name: 'registry' }],
    automountServiceAccountToken: false,
  },
  SelfSubjectAccessReview: {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { namespace: 'shop', verb: 'get', group: 'apps', resource: 'deployments', subresource: 'scale', name: 'web' } },
    status: { allowed: true, reason: 'RBAC: allowed by RoleBinding "dev/shop"' },
  },
  SubjectAccessReview: {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' }, user: 'alice', groups: ['devs'], extra: { scopes: ['a', 'b'], empty: [] }, uid: '42' },
  },
  TokenRequest: {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-0', uid: 'pod-uid' } },
    status: { token: 'eyJhbGciOi...', expirationTimestamp: '2024-05-01T11:00:00Z' },
  },
  Role: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'reader', namespace: 'shop' },
    rules: [
      { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'], verbs: ['patch'] },
    ],
  },
  RoleBinding: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'reader', namespace: 'shop' },
    subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }, { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
  },
  ClusterRole: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'aggregate' },
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate': 'true' } }] },
    rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
  },
  Job: {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', namespace: 'shop' },
    spec: {
      parallelism: 2,
      completions: 4,
      backoffLimit: 0,
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 100,
      completionMode: 'Indexed',
      suspend: false,
      podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
      template: { spec: { containers: [{ name: 'migrate', image: 'migrate:1', command: ['migrate', 'up'] }], restartPolicy: 'Never' } },
    },
    status: { startTime: '2024-05-01T10:00:00Z', active: 1, succeeded: 2, completedIndexes: '0-1', uncountedTerminatedPods: { succeeded: ['u1'] } },
  },
  CronJob: {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'report', namespace: 'shop' },
    spec: {
      schedule: '0 3 * * *',
      timeZone: 'Europe/Berlin',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 200,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: { metadata: { labels: { job: 'report' } }, spec: { template: { spec: { containers: [{ name: 'r', image: 'report:2' }], restartPolicy: 'OnFailure' } } } },
    },
    status: { lastScheduleTime: '2024-05-01T03:00:00Z', active: [{ kind: 'Job', namespace: 'shop', name: 'report-28570', uid: 'job-uid', apiVersion: 'batch/v1' }] },
  },
  Lease: {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'node-1', namespace: 'kube-node-lease' },
    spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, acquireTime: '2024-05-01T10:00:00.000000Z', renewTime: '2024-05-01T10:00:07.123456Z', leaseTransitions: 4 },
  },
  HorizontalPodAutoscaler: {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    },
  },
  CustomResourceDefinition: {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'], categories: ['all'] },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
          additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size', priority: 1 }],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                spec: {
                  type: 'object',
                  'x-kubernetes-validations': [{ rule: 'self.size <= 10', message: 'too big' }],
                  properties: {
                    size: { type: 'integer', format: 'int32', minimum: 0, maximum: 10, default: 1 },
                    color: { type: 'string', enum: ['red', 'green'], pattern: '^[a-z]+$', maxLength: 20 },
                    port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
                    tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                    pairs: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] },
                    labels: { type: 'object', additionalProperties: { type: 'string' } },
                    closed: { type: 'object', additionalProperties: false },
                    raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    embedded: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
                    template: { type: 'object', default: { a: [1, 'two', null, { b: true }] } },
                    ref: { $ref: '#/definitions/x', description: 'a reference' },
                    deps: { type: 'object', dependencies: { a: ['b', 'c'], d: { required: ['e'] } } },
                  },
                },
                status: { type: 'object', properties: { replicas: { type: 'integer', format: 'int64', maximum: 9007199254740991 } } },
              },
            },
          },
        },
      ],
      conversion: { strategy: 'None' },
    },
    status: {
      conditions: [{ type: 'Established', status: 'True', lastTransitionTime: '2024-05-01T10:00:00Z', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }],
      acceptedNames: { plural: 'widgets', kind: 'Widget' },
      storedVersions: ['v1'],
    },
  },
};

describe('encodeKubernetesProtobuf()', () => {
  for (const [kind, object] of Object.entries(OBJECTS)) {
    it(`round-trips a realistic ${kind} (JSON → protobuf → JSON)`, () => {
      const body = encodeKubernetesProtobuf(object, lookup);
      const decoded = decodeKubernetesProtobuf(body, lookup);
      assert.equal(decoded.kind, kind);
      assert.deepEqual(decoded.object, object);
    });
  }

  it('encodes the 56-byte ConfigMap body byte for byte, apart from the empty metadata strings kubectl adds', () => {
    const body = encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pbx' }, data: { k: 'v' } }, lookup);
    const expected = '6b387300 0a0f0a0276311209436f6e6669674d6170 120f 0a05 0a03706278 1206 0a016b120176 1a00 2200'.replace(/ /g, '');
    assert.equal(Buffer.from(body).toString('hex'), expected);
  });

  it('wraps list-wrapper fields (meta Verbs) in their own message', () => {
    const resource = { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] };
    const type = 'io.k8s.apimachinery.pkg.apis.meta.v1.APIResource';
    const bytes = new MessageEncoder({ lookup }).encodeMessage(resource, type);
    // verbs = field 4 holding a message whose field 1 repeats the strings.
    assert.ok(Buffer.from(bytes).toString('hex').includes('220b0a036765740a046c697374'));
    assert.deepEqual(new MessageDecoder({ lookup }).decodeMessage(bytes, type), resource);
  });

  it('drops zero values of non-pointer fields and keeps those of pointer fields', () => {
    const object = { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 0, paused: false, minReadySeconds: 0, template: { spec: { containers: [] } } } };
    const decoded = decodeKubernetesProtobuf(encodeKubernetesProtobuf(object, lookup), lookup);
    assert.deepEqual(decoded.object, { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 0 } });
  });

  it('throws ProtobufEncodeError for values of the wrong JSON type and kinds without schema', () => {
    assert.throws(() => encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', data: 'x' }, lookup), ProtobufEncodeError);
    assert.throws(() => encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 1 }] } }, lookup), /expected a string/);
    assert.throws(() => encodeKubernetesProtobuf({ apiVersion: 'example.com/v1', kind: 'Widget' }, lookup), /no schema for kind "Widget"/);
    assert.throws(() => encodeKubernetesProtobuf({ kind: 'Pod' }, lookup), /apiVersion and kind must be set/);
  });
});
