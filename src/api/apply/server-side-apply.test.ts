import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinSchemas } from '../schema/schema-registry.js';
import type { JsonObject, JsonValue } from '../patch/json-value.js';
import type { ApplySchema } from './apply-schema.js';
import { applyConflictError, conflictMessage } from './apply-conflict.js';
import { builtinApplySchema } from './builtin-apply-schema.js';
import { LAST_APPLIED_ANNOTATION, serverSideApply, updateManagedFields } from './server-side-apply.js';
import type { ServerSideApplyOptions } from './server-side-apply.js';
import { structuralApplySchema } from './structural-apply-schema.js';

const DEPLOYMENT = builtinApplySchema(builtinSchemas(), 'io.k8s.api.apps.v1.Deployment');
const SERVICE = builtinApplySchema(builtinSchemas(), 'io.k8s.api.core.v1.Service');
const NOW = '2026-01-02T03:04:05Z';
const LATER = '2026-01-02T03:05:00Z';

function opts(manager: string, extra: Partial<ServerSideApplyOptions> = {}): ServerSideApplyOptions {
  return { manager, apiVersion: 'apps/v1', schema: DEPLOYMENT, now: NOW, force: false, ...extra };
}

function deployment(spec: JsonObject, metadata: JsonObject = {}): JsonObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', ...metadata }, spec };
}

function podSpec(containers: JsonValue[]): JsonObject {
  return { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers } } };
}

function apply(live: JsonObject | undefined, applied: JsonObject, o: ServerSideApplyOptions): JsonObject {
  const result = serverSideApply(live, applied, o);
  assert.equal(result.conflicts, undefined, `unexpected conflicts: ${JSON.stringify(result.conflicts)}`);
  return result.object!;
}

function managed(obj: JsonObject): JsonObject[] {
  return ((obj['metadata'] as JsonObject)['managedFields'] ?? []) as JsonObject[];
}

function spec(obj: JsonObject): JsonObject {
  return obj['spec'] as JsonObject;
}

function containers(obj: JsonObject): JsonObject[] {
  return ((spec(obj)['template'] as JsonObject)['spec'] as JsonObject)['containers'] as JsonObject[];
}

describe('serverSideApply()', () => {
  it('creates an object and records an Apply entry with upstream fieldsV1', () => {
    const obj = apply(undefined, deployment({ replicas: 2, ...podSpec([{ name: 'web', image: 'nginx' }]) }, { labels: { a: '1' } }), opts('kubectl'));
    assert.equal(spec(obj)['replicas'], 2);
    assert.deepEqual(managed(obj), [
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: NOW,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:a': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
            },
          },
        },
      },
    ]);
  });

  it('merges map-lists by key, keeps items others own, and follows the applied order', () => {
    let obj = apply(undefined, deployment(podSpec([{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }])), opts('one'));
    obj = apply(obj, deployment(podSpec([{ name: 'c', image: 'c:1' }, { name: 'a', image: 'a:1', args: ['x'] }])), opts('two'));
    assert.deepEqual(
      containers(obj).map((c) => c['name']),
      ['c', 'a', 'b'],
    );
    assert.deepEqual(containers(obj)[1], { name: 'a', image: 'a:1', args: ['x'] });
  });

  it('replaces atomic lists and maps, unions sets, merges granular maps', () => {
    const svcOpts = { ...opts('m'), apiVersion: 'v1', schema: SERVICE };
    const svc = (selector: JsonObject, finalizers: string[], labels: JsonObject): JsonObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', finalizers, labels },
      spec: { selector },
    });
    let obj = apply(undefined, svc({ a: '1', b: '2' }, ['x'], { l1: 'a' }), svcOpts);
    obj = apply(obj, svc({ c: '3' }, ['y'], { l2: 'b' }), { ...svcOpts, manager: 'other', force: true });
    assert.deepEqual(spec(obj)['selector'], { c: '3' });
    assert.deepEqual((obj['metadata'] as JsonObject)['finalizers'], ['x', 'y']);
    assert.deepEqual((obj['metadata'] as JsonObject)['labels'], { l1: 'a', l2: 'b' });

    let d = apply(undefined, deployment(podSpec([{ name: 'a', image: 'i', args: ['1', '2'] }])), opts('m'));
    d = apply(d, deployment(podSpec([{ name: 'a', image: 'i', args: ['3'] }])), opts('m'));
    assert.deepEqual(containers(d)[0]!['args'], ['3']);
  });

  it('removes fields the manager stops applying unless another manager owns them', () => {
    let obj = apply(undefined, deployment({ replicas: 1 }, { labels: { a: '1', b: '2', c: '3' } }), opts('m'));
    obj = apply(obj, deployment({ replicas: 1 }, { labels: { c: '3' } }), opts('other'));
    obj = apply(obj, deployment({ replicas: 1 }, { labels: { a: '1' } }), opts('m'));
    assert.deepEqual((obj['metadata'] as JsonObject)['labels'], { a: '1', c: '3' });
    // Dropping the last label drops the map.
    obj = apply(obj, deployment({ replicas: 1 }), opts('m'));
    obj = apply(obj, deployment({ replicas: 1 }), opts('other'));
    assert.equal((obj['metadata'] as JsonObject)['labels'], undefined);
    // Removing a list item.
    let d = apply(undefined, deployment(podSpec([{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }])), opts('m'));
    d = apply(d, deployment(podSpec([{ name: 'b', image: 'b' }])), opts('m'));
    assert.deepEqual(containers(d), [{ name: 'b', image: 'b' }]);
  });

  it('reports a conflict per field owned by another manager, unless the value is unchanged or forced', () => {
    let obj = apply(undefined, deployment({ replicas: 1, paused: false }, { labels: { a: '1' } }), opts('kubectl'));
    const edited = updateManagedFields(obj, { ...obj, spec: { replicas: 3, paused: true } }, { manager: 'kubectl-edit', apiVersion: 'apps/v1', schema: DEPLOYMENT, now: LATER });
    obj = edited;
    assert.deepEqual(managed(obj).map((e) => [e['manager'], e['operation']]), [
      ['kubectl', 'Apply'],
      ['kubectl-edit', 'Update'],
    ]);
    const same = serverSideApply(obj, deployment({ replicas: 3 }), opts('kubectl'));
    assert.equal(same.conflicts, undefined);
    const result = serverSideApply(obj, deployment({ replicas: 5, paused: false }), opts('kubectl'));
    assert.deepEqual(result.conflicts, [
      { manager: '"kubectl-edit" using apps/v1', field: '.spec.paused' },
      { manager: '"kubectl-edit" using apps/v1', field: '.spec.replicas' },
    ]);
    const err = applyConflictError(result.conflicts!);
    assert.equal(err.status.code, 409);
    assert.equal(err.status.reason, 'Conflict');
    assert.equal(
      err.status.message,
      'Apply failed with 2 conflicts: conflicts with "kubectl-edit" using apps/v1:\n- .spec.paused\n- .spec.replicas',
    );
    assert.deepEqual(err.status.details?.causes?.[1], { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-edit" using apps/v1', field: '.spec.replicas' });

    const forced = apply(obj, deployment({ replicas: 5 }), opts('kubectl', { force: true, now: LATER }));
    assert.equal(spec(forced)['replicas'], 5);
    const entries = managed(forced);
    const edit = entries.find((e) => e['manager'] === 'kubectl-edit');
    assert.deepEqual(edit?.['fieldsV1'], { 'f:spec': { 'f:paused': {} } });
    assert.equal(entries.find((e) => e['manager'] === 'kubectl')?.['time'], LATER);
  });

  it('formats a single conflict as upstream', () => {
    assert.equal(conflictMessage([{ manager: '"mgr"', field: '.spec.replicas' }]), 'Apply failed with 1 conflict: conflict with "mgr": .spec.replicas');
  });

  it('leaves a no-op apply unchanged, time included', () => {
    const obj = apply(undefined, deployment({ replicas: 1 }), opts('m'));
    const again = apply(obj, deployment({ replicas: 1 }), opts('m', { now: LATER }));
    assert.deepEqual(again, obj);
  });

  it('lets kubectl take over fields set by client-side apply and keeps the annotation current', () => {
    const lastApplied = JSON.stringify(deployment({ replicas: 1 }));
    const created = deployment({ replicas: 1 }, { annotations: { [LAST_APPLIED_ANNOTATION]: lastApplied } });
    const live = updateManagedFields(undefined, created, { manager: 'kubectl-client-side-apply', apiVersion: 'apps/v1', schema: DEPLOYMENT, now: NOW });
    const applied = deployment({ replicas: 4 });
    const obj = apply(live, applied, opts('kubectl', { now: LATER }));
    assert.equal(spec(obj)['replicas'], 4);
    const annotation = ((obj['metadata'] as JsonObject)['annotations'] as JsonObject)[LAST_APPLIED_ANNOTATION] as string;
    assert.deepEqual(JSON.parse(annotation), applied);
    // Another manager gets the conflict.
    const other = serverSideApply(live, applied, opts('someone-else'));
    assert.deepEqual(other.conflicts, [{ manager: '"kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);
  });
});

describe('updateManagedFields()', () => {
  const o = { manager: 'kubectl-create', apiVersion: 'apps/v1', schema: DEPLOYMENT, now: NOW };

  it('records a create as an Update entry without server-set metadata', () => {
    const obj = updateManagedFields(undefined, deployment({ replicas: 1 }, { uid: 'u', labels: { a: 'b' } }), o);
    assert.deepEqual(managed(obj), [
      { manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', time: NOW, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:a': {} } }, 'f:spec': { 'f:replicas': {} } } },
    ]);
  });

  it('moves changed fields to the writer and keeps entries when the client sends none', () => {
    const created = updateManagedFields(undefined, deployment({ replicas: 1, paused: true }), o);
    const { managedFields: _m, ...md } = created['metadata'] as JsonObject;
    const next = { ...created, metadata: md, spec: { replicas: 2, paused: true } };
    const updated = updateManagedFields(created, next, { ...o, manager: 'kubectl-scale', subresource: 'scale', now: LATER });
    assert.deepEqual(
      managed(updated).map((e) => [e['manager'], e['subresource'], e['fieldsV1']]),
      [
        ['kubectl-create', undefined, { 'f:spec': { 'f:paused': {} } }],
        ['kubectl-scale', 'scale', { 'f:spec': { 'f:replicas': {} } }],
      ],
    );
  });

  it('clears managedFields when the client sends an empty list; an unchanged write adds no entry', () => {
    const created = updateManagedFields(undefined, deployment({ replicas: 1 }), o);
    const reset = updateManagedFields(created, { ...created, metadata: { ...(created['metadata'] as JsonObject), managedFields: [] } }, { ...o, manager: 'kubectl-patch' });
    assert.equal((reset['metadata'] as JsonObject)['managedFields'], undefined);
    const same = updateManagedFields(created, structuredClone(created), { ...o, manager: 'other' });
    assert.deepEqual(managed(same), managed(created));
  });
});

describe('structuralApplySchema()', () => {
  const schema: ApplySchema = structuralApplySchema(
    {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            ports: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['port', 'protocol'],
              items: { type: 'object', properties: { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' }, name: { type: 'string' } } },
            },
            tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
            sel: { type: 'object', 'x-kubernetes-map-type': 'atomic', additionalProperties: { type: 'string' } },
            free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      },
    },
    { objectMeta: builtinApplySchema(builtinSchemas(), 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta') },
  );
  const co = { manager: 'a', apiVersion: 'example.com/v1', schema, now: NOW, force: false };
  const cr = (s: JsonObject): JsonObject => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', labels: { x: 'y' } }, spec: s });

  it('merges by x-kubernetes list and map types; untyped keys are owned whole', () => {
    let obj = apply(undefined, cr({ ports: [{ port: 80, name: 'http' }], tags: ['a'], sel: { a: '1' }, free: { x: { y: 1 } } }), co);
    obj = apply(obj, cr({ ports: [{ port: 80, protocol: 'TCP', name: 'web' }, { port: 81 }], tags: ['b'], sel: { b: '2' }, free: { x: { z: 2 } } }), { ...co, manager: 'b', force: true });
    assert.deepEqual(spec(obj), { ports: [{ port: 80, name: 'web', protocol: 'TCP' }, { port: 81 }], tags: ['a', 'b'], sel: { b: '2' }, free: { x: { y: 1, z: 2 } } });
    const aEntry = managed(obj).find((e) => e['manager'] === 'a');
    assert.deepEqual(aEntry?.['fieldsV1'], {
      'f:metadata': { 'f:labels': { 'f:x': {} } },
      'f:spec': { 'f:free': { 'f:x': { '.': {}, 'f:y': {} } }, 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {} } }, 'f:tags': { 'v:"a"': {} } },
    });
  });
});

describe('shared ownership and subresources', () => {
  it('keeps a field two appliers set with the same value when one of them stops applying it', () => {
    let obj = apply(undefined, deployment({ replicas: 2, paused: true }), opts('a'));
    obj = apply(obj, deployment({ replicas: 2 }), opts('b'));
    obj = apply(obj, deployment({ paused: true }), opts('a'));
    assert.equal(spec(obj)['replicas'], 2);
    obj = apply(obj, deployment({ paused: true }), opts('b'));
    assert.equal(spec(obj)['replicas'], undefined);
  });

  it('keeps a list item when another manager owns a field inside it', () => {
    let obj = apply(undefined, deployment(podSpec([{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }])), opts('m'));
    const edited = structuredClone(obj);
    containers(edited)[0]!['args'] = ['--debug'];
    obj = updateManagedFields(obj, edited, { manager: 'kubectl-edit', apiVersion: 'apps/v1', schema: DEPLOYMENT, now: LATER });
    obj = apply(obj, deployment(podSpec([{ name: 'b', image: 'y' }])), opts('m'));
    assert.deepEqual(
      containers(obj).map((c) => [c['name'], c['args']]),
      [
        ['a', ['--debug']],
        ['b', undefined],
      ],
    );
  });

  it('names subresource managers in conflicts and ignores managedFields sent to a subresource', () => {
    let obj = apply(undefined, deployment({ replicas: 1 }, { labels: { x: 'y' } }), opts('kubectl'));
    const scaled: JsonObject = { ...structuredClone(obj), spec: { replicas: 7 } };
    (scaled['metadata'] as JsonObject)['managedFields'] = [];
    obj = updateManagedFields(obj, scaled, { manager: 'hpa', apiVersion: 'apps/v1', schema: DEPLOYMENT, now: LATER, subresource: 'scale' });
    assert.equal(managed(obj).length, 2);
    const result = serverSideApply(obj, deployment({ replicas: 2 }), opts('kubectl'));
    assert.deepEqual(result.conflicts, [{ manager: '"hpa" with subresource "scale" using apps/v1', field: '.spec.replicas' }]);
  });

  it('treats a reset with one empty entry like an empty list, and keeps stored entries when none are sent', () => {
    const o = { manager: 'x', apiVersion: 'apps/v1', schema: DEPLOYMENT, now: NOW };
    const created = updateManagedFields(undefined, deployment({ replicas: 1 }), o);
    const reset = updateManagedFields(created, { ...created, metadata: { name: 'web', managedFields: [{}] } }, o);
    assert.equal((reset['metadata'] as JsonObject)['managedFields'], undefined);
    const kept = updateManagedFields(created, { ...created, metadata: { name: 'web' }, spec: { replicas: 1, paused: true } }, { ...o, manager: 'y' });
    assert.deepEqual(
      managed(kept).map((e) => e['manager']),
      ['x', 'y'],
    );
  });

  it('stores __proto__ keys as data', () => {
    const obj = apply(undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: JSON.parse('{"__proto__":"x","a":"b"}') as JsonObject }, { ...opts('m'), apiVersion: 'v1', schema: builtinApplySchema(builtinSchemas(), 'io.k8s.api.core.v1.ConfigMap') });
    assert.equal(Object.getPrototypeOf(obj['data']), Object.prototype);
    assert.deepEqual(Object.keys(obj['data'] as object), ['__proto__', 'a']);
  });
});

describe('capUpdateManagers()', () => {
  it('keeps at most 10 Update entries, merging the oldest into "ancient-changes"', () => {
    let obj: JsonObject = deployment({ replicas: 1 });
    for (let i = 0; i < 12; i++) {
      const next: JsonObject = { ...structuredClone(obj), metadata: { ...(obj['metadata'] as JsonObject), labels: { ...((obj['metadata'] as JsonObject)['labels'] as JsonObject), [`l${i}`]: 'x' } } };
      obj = updateManagedFields(obj, next, { manager: `m${String(i).padStart(2, '0')}`, apiVersion: 'apps/v1', schema: DEPLOYMENT, now: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z` });
    }
    const entries = managed(obj);
    assert.equal(entries.length, 10);
    const ancient = entries.find((e) => e['manager'] === 'ancient-changes');
    assert.deepEqual(ancient?.['fieldsV1'], { 'f:metadata': { 'f:labels': { 'f:l0': {}, 'f:l1': {}, 'f:l2': {} } } });
    assert.equal(entries.some((e) => ['m00', 'm01', 'm02'].includes(e['manager'] as string)), false);
  });
});

describe('empty values', () => {
  it('owns an applied empty struct and removes it when no longer applied', () => {
    let obj = apply(undefined, deployment(podSpec([{ name: 'a', image: 'x', resources: {} }])), opts('m'));
    const entry = managed(obj)[0]!['fieldsV1'] as JsonObject;
    const item = (((((entry['f:spec'] as JsonObject)['f:template'] as JsonObject)['f:spec'] as JsonObject)['f:containers'] as JsonObject)['k:{"name":"a"}']) as JsonObject;
    assert.deepEqual(item['f:resources'], {});
    obj = apply(obj, deployment(podSpec([{ name: 'a', image: 'x' }])), opts('m'));
    assert.deepEqual(containers(obj)[0], { name: 'a', image: 'x' });
  });
});
