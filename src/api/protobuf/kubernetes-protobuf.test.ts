import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { JSON_SCHEMA_PROPS } from '../schema/json-schema-union.js';
import { builtinSchemas } from '../schema/schema-registry.js';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf } from './kubernetes-protobuf.js';
import { MessageDecoder } from './message-decoder.js';
import { MessageEncoder } from './message-encoder.js';
import { ProtobufDecodeError } from './protobuf-errors.js';
import { WireType } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

const lookup = builtinSchemas();

function fixture(name: string): Uint8Array {
  return readFileSync(new URL(`./testdata/${name}.pb`, import.meta.url));
}

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.trim().split(/\s+/).map((h) => parseInt(h, 16)));
}

const RBAC = 'rbac.authorization.k8s.io';

/** What kubectl 1.32 sent (captured into testdata/ by `kubectl create …` against a recording server). */
const CAPTURES: Readonly<Record<string, Record<string, unknown>>> = {
  configmap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pbx' }, data: { empty: '', k: 'v' } },
  namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
  serviceaccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder' } },
  'secret-generic': { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, data: { password: 'czNjcjN0', user: 'YWRtaW4=' } },
  'secret-docker-registry': {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'reg' },
    data: { '.dockerconfigjson': Buffer.from('{"auths":{"r.example":{"username":"u","password":"p","auth":"dTpw"}}}').toString('base64') },
    type: 'kubernetes.io/dockerconfigjson',
  },
  deployment: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] } },
    },
  },
  'deployment-multi': {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'multi', labels: { app: 'multi' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'multi' } },
      template: {
        metadata: { labels: { app: 'multi' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx' }, { name: 'redis', image: 'redis:7' }] },
      },
    },
  },
  'service-clusterip': {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 'web' }, type: 'ClusterIP' },
  },
  'service-nodeport': {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'np', labels: { app: 'np' } },
    spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }], selector: { app: 'np' }, type: 'NodePort' },
  },
  job: {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j1' },
    spec: { template: { spec: { containers: [{ name: 'j1', image: 'busybox', command: ['echo', 'hi'] }], restartPolicy: 'Never' } } },
  },
  cronjob: {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'cj' },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: {
        metadata: { name: 'cj' },
        spec: { template: { spec: { containers: [{ name: 'cj', image: 'busybox', command: ['date'] }], restartPolicy: 'OnFailure' } } },
      },
    },
  },
  role: {
    apiVersion: `${RBAC}/v1`,
    kind: 'Role',
    metadata: { name: 'pod-reader' },
    rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }],
  },
  rolebinding: {
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'rb' },
    subjects: [
      { kind: 'User', apiGroup: RBAC, name: 'alice' },
      { kind: 'ServiceAccount', name: 'builder', namespace: 'default' },
    ],
    roleRef: { apiGroup: RBAC, kind: 'Role', name: 'pod-reader' },
  },
  clusterrole: { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'cr' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] },
  clusterrolebinding: {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'crb' },
    subjects: [{ kind: 'Group', apiGroup: RBAC, name: 'devs' }],
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cr' },
  },
  priorityclass: {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'high' },
    value: 1000,
    description: 'high',
    preemptionPolicy: 'Never',
  },
  quota: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { cpu: '1', memory: '1G', pods: '2' } } },
  poddisruptionbudget: {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'pdb' },
    spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } },
  },
  ingress: {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'ing' },
    spec: {
      tls: [{ hosts: ['foo.com'], secretName: 'my-cert' }],
      rules: [{ host: 'foo.com', http: { paths: [{ path: '/bar', backend: { service: { name: 'svc1', port: { number: 8080 } } }, pathType: 'Exact' }] } }],
      ingressClassName: 'nginx',
    },
  },
  token: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: ['api'], expirationSeconds: 600 } },
  selfsubjectaccessreview: {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { namespace: 'kube-system', verb: 'list', resource: 'pods' } },
  },
  'selfsubjectaccessreview-subresource': {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods', subresource: 'exec' } },
  },
};

/** topLevelBoundaries lists the byte offsets where a top-level field of the envelope ends. */
function topLevelBoundaries(body: Uint8Array): Set<number> {
  const ends = new Set<number>();
  let pos = 4;
  while (pos < body.length) {
    pos++; // one-byte key: field numbers 1..4
    let length = 0;
    let shift = 0;
    for (;;) {
      const b = body[pos++] ?? 0;
      length |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    pos += length;
    ends.add(pos);
  }
  return ends;
}

/** A small deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function decodesOrRejects(body: Uint8Array): boolean {
  try {
    decodeKubernetesProtobuf(body, lookup);
    return true;
  } catch (err) {
    if (err instanceof ProtobufDecodeError) return false;
    throw err;
  }
}

describe('decodeKubernetesProtobuf()', () => {
  it('decodes the 56-byte ConfigMap body kubectl sends (kubectl-wire.md §1.3)', () => {
    const body = hex(`6b 38 73 00 0a 0f 0a 02 76 31 12 09 43 6f 6e 66 69 67 4d 61 70 12 1d 0a 13 0a 03 70 62 78 12 00 1a 00
      22 00 2a 00 32 00 38 00 42 00 12 06 0a 01 6b 12 01 76 1a 00 22 00`);
    assert.equal(body.length, 56);
    assert.deepEqual(decodeKubernetesProtobuf(body, lookup), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pbx' }, data: { k: 'v' } },
    });
  });

  for (const [name, expected] of Object.entries(CAPTURES)) {
    it(`decodes the captured kubectl body testdata/${name}.pb`, () => {
      const decoded = decodeKubernetesProtobuf(fixture(name), lookup);
      assert.equal(decoded.apiVersion, expected['apiVersion']);
      assert.equal(decoded.kind, expected['kind']);
      assert.deepEqual(decoded.object, expected);
    });
  }

  it('skips fields the schema does not know', () => {
    const cm = new MessageEncoder({ lookup }).encodeMessage({ metadata: { name: 'x' } }, 'io.k8s.api.core.v1.ConfigMap');
    const w = new WireWriter();
    w.tag(999, WireType.Varint);
    w.int64(-7);
    w.tag(998, WireType.Fixed64);
    w.double(1.5);
    w.tag(997, WireType.LengthDelimited);
    w.string('ignored');
    w.tag(996, WireType.Fixed32);
    const extra = Uint8Array.from([...w.finish(), 1, 2, 3, 4]);
    const decoded = new MessageDecoder({ lookup }).decodeMessage(Uint8Array.from([...cm, ...extra]), 'io.k8s.api.core.v1.ConfigMap');
    assert.deepEqual(decoded, { metadata: { name: 'x' } });
  });

  it('rejects a body without the magic, an unknown kind, and a compressed raw object', () => {
    assert.throws(() => decodeKubernetesProtobuf(hex('0a 00'), lookup), ProtobufDecodeError);
    const unknownKind = encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap' }, lookup);
    const patched = Buffer.from(unknownKind).toString('latin1').replace('ConfigMap', 'ConfigMop');
    assert.throws(() => decodeKubernetesProtobuf(Buffer.from(patched, 'latin1'), lookup), /no schema for kind "ConfigMop" in "v1"/);
    const w = new WireWriter();
    const tm = new WireWriter();
    tm.tag(1, WireType.LengthDelimited);
    tm.string('v1');
    tm.tag(2, WireType.LengthDelimited);
    tm.string('ConfigMap');
    w.tag(1, WireType.LengthDelimited);
    w.bytes(tm.finish());
    w.tag(3, WireType.LengthDelimited);
    w.string('gzip');
    assert.throws(() => decodeKubernetesProtobuf(Uint8Array.from([0x6b, 0x38, 0x73, 0, ...w.finish()]), lookup), /content encoding "gzip"/);
  });

  it('throws ProtobufDecodeError for every truncation of every capture, except at top-level field ends', () => {
    for (const name of Object.keys(CAPTURES)) {
      const body = fixture(name);
      const ends = topLevelBoundaries(body);
      for (let n = 0; n < body.length; n++) {
        const ok = decodesOrRejects(body.subarray(0, n));
        if (ok) assert.ok(ends.has(n), `${name}: a prefix of ${n} bytes decoded`);
      }
    }
  });

  it('never fails with anything but ProtobufDecodeError on random and mutated input', () => {
    const random = prng(42);
    const captures = Object.keys(CAPTURES).map(fixture);
    const started = Date.now();
    for (let i = 0; i < 3000; i++) {
      const base = captures[i % captures.length]!;
      const body = Uint8Array.from(base);
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) body[4 + Math.floor(random() * (body.length - 4))] = Math.floor(random() * 256);
      decodesOrRejects(body);
      const noise = Uint8Array.from({ length: 4 + Math.floor(random() * 200) }, () => Math.floor(random() * 256));
      noise.set([0x6b, 0x38, 0x73, 0x00]);
      decodesOrRejects(noise);
    }
    assert.ok(Date.now() - started < 10_000, 'fuzzing took too long');
  });

  it('stops at the nesting limit instead of recursing without bound', () => {
    const not = lookup.type(JSON_SCHEMA_PROPS)!.fields.find((f) => f.name === 'not')!;
    let inner: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < 5000; i++) {
      const w = new WireWriter();
      w.tag(not.protoNumber, WireType.LengthDelimited);
      w.bytes(inner);
      inner = w.finish();
    }
    assert.throws(() => new MessageDecoder({ lookup }).decodeMessage(inner, JSON_SCHEMA_PROPS), /nesting deeper than 100/);
  });

  it('stops after maxValues values', () => {
    const decoder = new MessageDecoder({ lookup, maxValues: 10 });
    assert.throws(() => decoder.decodeEnvelope(fixture('deployment')), /more than 10 values/);
  });

  it('rejects wire types that do not match the schema and group wire types', () => {
    const w = new WireWriter();
    w.tag(1, WireType.Varint); // ConfigMap.metadata is a message
    w.int64(1);
    assert.throws(() => new MessageDecoder({ lookup }).decodeMessage(w.finish(), 'io.k8s.api.core.v1.ConfigMap'), ProtobufDecodeError);
    assert.throws(() => new MessageDecoder({ lookup }).decodeMessage(hex('fb 3e'), 'io.k8s.api.core.v1.ConfigMap'), ProtobufDecodeError);
    assert.throws(() => new MessageDecoder({ lookup }).decodeMessage(hex('12 ff ff ff ff 0f'), 'io.k8s.api.core.v1.ConfigMap'), /truncated/);
  });
});

