/**
 * CustomResourceDefinitions with real kubectl 1.32: a namespaced and a cluster-scoped CRD applied, served within
 * moments, listed by api-resources with short names, explained, custom resources created/applied/edited/patched/
 * scaled/deleted, printer columns, schema and CEL refusals, the `all` category, and CRD deletion removing its
 * objects and its discovery entry.
 */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server } from 'node:https';
import { CertificateAuthority } from '../../src/pki/certificate-authority.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

/** A conversion webhook for Thing: v1beta1 spells spec.colour, v1 spells spec.color. */
async function startConversionWebhook(): Promise<{ server: Server; url: string; port: number; caBundle: string; calls: () => number }> {
  const ca = await CertificateAuthority.create('crd-test-ca');
  const serving = await ca.issue({ commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'], dnsNames: ['converter.webhooks.svc'], usage: 'server' });
  let calls = 0;
  const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      calls++;
      const review = JSON.parse(body) as { request: { uid: string; desiredAPIVersion: string; objects: { apiVersion: string; spec?: Record<string, unknown> }[] } };
      const want = review.request.desiredAPIVersion;
      const convertedObjects = review.request.objects.map((o) => {
        const spec = { ...(o.spec ?? {}) };
        if (want.endsWith('/v1') && 'colour' in spec) {
          spec['color'] = spec['colour'];
          delete spec['colour'];
        } else if (want.endsWith('/v1beta1') && 'color' in spec) {
          spec['colour'] = spec['color'];
          delete spec['color'];
        }
        return { ...o, apiVersion: want, spec };
      });
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response: { uid: review.request.uid, result: { status: 'Success' }, convertedObjects } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { server, url: `https://127.0.0.1:${port}/convert`, port, caBundle: Buffer.from(ca.pem.certPem).toString('base64'), calls: () => calls };
}

function thingCrd(url: string, caBundle: string): string {
  const schema = (field: string) => `{type: object, properties: {spec: {type: object, properties: {${field}: {type: string}}}}}`;
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: things.convert.example.com
spec:
  group: convert.example.com
  scope: Namespaced
  names: {plural: things, kind: Thing}
  conversion:
    strategy: Webhook
    webhook:
      conversionReviewVersions: [v1]
      clientConfig:
        url: ${url}
        caBundle: ${caBundle}
  versions:
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema: ${schema('colour')}
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: ${schema('color')}
`;
}

const WIDGET_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wd]
    categories: [all]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.selector
    additionalPrinterColumns:
    - name: Replicas
      type: integer
      jsonPath: .spec.replicas
    - name: Size
      type: string
      jsonPath: .spec.size
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            description: The desired state of the widget.
            required: [size]
            x-kubernetes-validations:
            - rule: "self.replicas <= self.maxReplicas"
              message: replicas must not exceed maxReplicas
            properties:
              replicas:
                type: integer
                minimum: 0
                default: 1
                description: How many widgets to run.
              maxReplicas:
                type: integer
                default: 10
              size:
                type: string
                enum: [S, M, L]
              color:
                type: string
                pattern: '^[a-z]+$'
              port:
                x-kubernetes-int-or-string: true
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            properties:
              replicas:
                type: integer
              selector:
                type: string
`;

const GADGET_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.tools.example.org
spec:
  group: tools.example.org
  scope: Cluster
  names:
    plural: gadgets
    singular: gadget
    kind: Gadget
    shortNames: [gd]
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              name:
                type: string
                maxLength: 10
                x-kubernetes-validations:
                - rule: "self == oldSelf"
                  message: name is immutable
`;

const WIDGET = `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
spec:
  size: M
  replicas: 2
  color: blue
  port: http
  extra: {anything: [1, 2]}
`;

const GIZMO_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gizmos.example.net
spec:
  group: example.net
  scope: Namespaced
  names: {plural: gizmos, kind: Gizmo}
  versions:
  - name: v1beta1
    served: true
    storage: false
    deprecated: true
    schema:
      openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {color: {type: string}}}}}
  - name: v1
    served: true
    storage: true
    selectableFields:
    - jsonPath: .spec.color
    schema:
      openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {color: {type: string}}}}}
`;

describe('CustomResourceDefinitions with kubectl', { timeout: 240_000 }, () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start();
  });
  after(async () => {
    await cluster?.stop();
  });

  const json = async (args: readonly string[]): Promise<Record<string, unknown>> =>
    JSON.parse(await cluster.kubectlOk([...args, '-o', 'json'])) as Record<string, unknown>;

  void it('serves applied CRDs within moments, with names accepted and established', async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], { input: `${WIDGET_CRD}---\n${GADGET_CRD}` });
    await eventually(async () => (await cluster.kubectl(['get', 'widgets'])).code === 0, 10_000);
    await eventually(async () => (await cluster.kubectl(['get', 'gadgets'])).code === 0, 10_000);
    await cluster.kubectlOk(['wait', '--for', 'condition=established', '--timeout=10s', 'crd/widgets.example.com', 'crd/gadgets.tools.example.org']);
    const crd = await json(['get', 'crd', 'widgets.example.com']);
    const status = crd['status'] as { conditions: { type: string; status: string; reason: string }[]; acceptedNames: { kind: string }; storedVersions: string[] };
    assert.deepEqual(
      status.conditions.map((c) => [c.type, c.status, c.reason]).sort(),
      [['Established', 'True', 'InitialNamesAccepted'], ['NamesAccepted', 'True', 'NoConflicts']],
    );
    assert.equal(status.acceptedNames.kind, 'Widget');
    assert.deepEqual(status.storedVersions, ['v1']);
  });

  void it('lists the custom resources in api-resources with short names', async () => {
    const out = await cluster.kubectlOk(['api-resources', '--api-group=example.com']);
    assert.match(out, /^widgets\s+wd\s+example\.com\/v1\s+true\s+Widget$/m);
    const cluster2 = await cluster.kubectlOk(['api-resources', '--namespaced=false', '--api-group=tools.example.org']);
    assert.match(cluster2, /^gadgets\s+gd\s+tools\.example\.org\/v1alpha1\s+false\s+Gadget$/m);
  });

  void it('publishes legacy discovery and OpenAPI v2/v3 documents for the new group-versions', async () => {
    const legacy = JSON.parse((await cluster.request('/apis/example.com/v1')).body) as { resources: { name: string; singularName: string; shortNames?: string[]; categories?: string[]; verbs: string[]; kind: string }[] };
    const widgets = legacy.resources.find((r) => r.name === 'widgets');
    assert.deepEqual([widgets?.singularName, widgets?.shortNames, widgets?.categories, widgets?.kind], ['widget', ['wd'], ['all'], 'Widget']);
    assert.ok(widgets?.verbs.includes('deletecollection'));
    assert.deepEqual(legacy.resources.map((r) => r.name).sort(), ['widgets', 'widgets/scale', 'widgets/status']);
    const v3 = JSON.parse((await cluster.request('/openapi/v3/apis/example.com/v1')).body) as { components: { schemas: Record<string, { 'x-kubernetes-group-version-kind'?: unknown; properties?: Record<string, unknown> }> } };
    const widget = v3.components.schemas['com.example.v1.Widget'];
    assert.deepEqual(widget?.['x-kubernetes-group-version-kind'], [{ group: 'example.com', kind: 'Widget', version: 'v1' }]);
    assert.ok(JSON.stringify(widget?.properties?.['metadata']).includes('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'));
    const v2 = JSON.parse((await cluster.request('/openapi/v2')).body) as { definitions: Record<string, unknown> };
    assert.ok(v2.definitions['com.example.v1.Widget']);
  });

  void it('explains the custom kind from its schema', async () => {
    const out = await cluster.kubectlOk(['explain', 'widget.spec']);
    assert.match(out, /KIND:\s+Widget/);
    assert.match(out, /The desired state of the widget/);
    assert.match(out, /replicas\s+<integer>/);
    assert.match(out, /How many widgets to run/);
    const meta = await cluster.kubectlOk(['explain', 'widget.metadata.name']);
    assert.match(meta, /FIELD:\s+name <string>/);
  });

  void it('creates a custom resource with defaults, pruning and printer columns', async () => {
    const withUnknown = WIDGET.replace('spec:', 'unknownTop: 1\nspec:\n  dropped: yes');
    const strict = await cluster.kubectl(['create', '-f', '-'], { input: withUnknown });
    assert.notEqual(strict.code, 0);
    assert.match(strict.stderr, /strict decoding error: unknown field "spec\.dropped", unknown field "unknownTop"/);
    await cluster.kubectlOk(['create', '--validate=false', '-f', '-'], { input: withUnknown });
    const w = await json(['get', 'widget', 'w1']);
    const spec = w['spec'] as Record<string, unknown>;
    assert.equal(spec['maxReplicas'], 10);
    assert.equal(spec['dropped'], undefined);
    assert.equal(w['unknownTop'], undefined);
    assert.deepEqual(spec['extra'], { anything: [1, 2] });
    assert.equal((w['metadata'] as { generation: number }).generation, 1);
    const table = await cluster.kubectlOk(['get', 'wd']);
    assert.match(table, /^NAME\s+REPLICAS\s+SIZE\s+AGE$/m);
    assert.match(table, /^w1\s+2\s+M\s+\d+s$/m);
  });

  void it('refuses invalid custom resources with upstream field messages', async () => {
    const bad = await cluster.kubectl(['create', '-f', '-'], { input: WIDGET.replace('name: w1', 'name: w2').replace('replicas: 2', 'replicas: "two"') });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.replicas: Invalid value: "string": spec\.replicas in body must be of type integer: "string"/);
    const enumBad = await cluster.kubectl(['create', '-f', '-'], { input: WIDGET.replace('name: w1', 'name: w3').replace('size: M', 'size: XL') });
    assert.match(enumBad.stderr, /spec\.size: Unsupported value: "XL": supported values: "S", "M", "L"/);
    const pattern = await cluster.kubectl(['create', '-f', '-'], { input: WIDGET.replace('name: w1', 'name: w4').replace('color: blue', 'color: Blue1') });
    assert.match(pattern.stderr, /spec\.color: Invalid value: "Blue1": spec\.color in body should match '\^\[a-z\]\+\$'/);
    const required = await cluster.kubectl(['create', '-f', '-'], { input: WIDGET.replace('name: w1', 'name: w5').replace('  size: M\n', '') });
    assert.match(required.stderr, /spec\.size: Required value/);
  });

  void it('refuses a CEL rule violation with its message', async () => {
    const r = await cluster.kubectl(['create', '-f', '-'], { input: WIDGET.replace('name: w1', 'name: w6').replace('replicas: 2', 'replicas: 20') });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec: Invalid value: "object": replicas must not exceed maxReplicas/);
  });

  void it('applies, patches, edits and scales custom resources', async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], { input: WIDGET.replace('replicas: 2', 'replicas: 3') });
    const applied = await json(['get', 'widget', 'w1']);
    assert.equal((applied['spec'] as { replicas: number }).replicas, 3);
    assert.equal((applied['metadata'] as { generation: number }).generation, 2);
    await cluster.kubectlOk(['patch', 'widget', 'w1', '--type=merge', '-p', '{"spec":{"size":"L"}}']);
    await cluster.kubectlOk(['patch', 'widget', 'w1', '--type=json', '-p', '[{"op":"replace","path":"/spec/color","value":"red"}]']);
    const smp = await cluster.kubectl(['patch', 'widget', 'w1', '-p', '{"spec":{"size":"S"}}']);
    assert.notEqual(smp.code, 0);
    assert.match(smp.stderr, /UnsupportedMediaType|not supported/);
    const editor = join(cluster.dataDir, 'crd-editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/color: red/color: green/" "$1"\n');
    chmodSync(editor, 0o755);
    const edited = await cluster.kubectl(['edit', 'widget', 'w1'], { env: { KUBE_EDITOR: editor, EDITOR: editor } });
    assert.equal(edited.code, 0, edited.stderr);
    const w = await json(['get', 'widget', 'w1']);
    assert.equal((w['spec'] as { color: string }).color, 'green');
    assert.equal((w['spec'] as { size: string }).size, 'L');
    assert.equal((w['metadata'] as { generation: number }).generation, 5, JSON.stringify(w));
    await cluster.kubectlOk(['scale', 'widget', 'w1', '--replicas=4']);
    assert.equal(((await json(['get', 'widget', 'w1']))['spec'] as { replicas: number }).replicas, 4);
    const tooMany = await cluster.kubectl(['scale', 'widget', 'w1', '--replicas=40']);
    assert.notEqual(tooMany.code, 0);
    const scale = JSON.parse((await cluster.request('/apis/example.com/v1/namespaces/default/widgets/w1/scale')).body) as { spec: { replicas: number } };
    assert.equal(scale.spec.replicas, 4);
  });

  void it('keeps status apart from spec on the status subresource', async () => {
    const patched = await cluster.request('/apis/example.com/v1/namespaces/default/widgets/w1/status', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ status: { replicas: 4, selector: 'app=w1' }, spec: { size: 'S' } }),
    });
    assert.equal(patched.status, 200, patched.body);
    const w = await json(['get', 'widget', 'w1']);
    assert.deepEqual(w['status'], { replicas: 4, selector: 'app=w1' });
    assert.equal((w['spec'] as { size: string }).size, 'L');
    const gen = (w['metadata'] as { generation: number }).generation;
    const main = await cluster.request('/apis/example.com/v1/namespaces/default/widgets/w1', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ status: { replicas: 9 } }),
    });
    assert.equal(main.status, 200, main.body);
    const after = await json(['get', 'widget', 'w1']);
    assert.equal((after['status'] as { replicas: number }).replicas, 4);
    assert.equal((after['metadata'] as { generation: number }).generation, gen);
  });

  void it('runs transition rules on update only', async () => {
    await cluster.kubectlOk(['create', '-f', '-'], { input: 'apiVersion: tools.example.org/v1alpha1\nkind: Gadget\nmetadata: {name: g1}\nspec: {name: first}\n' });
    const r = await cluster.kubectl(['patch', 'gadget', 'g1', '--type=merge', '-p', '{"spec":{"name":"second"}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.name: Invalid value: "string": name is immutable/);
    const table = await cluster.kubectlOk(['get', 'gadgets']);
    assert.match(table, /^NAME\s+AGE$/m);
  });

  void it('serves several versions from one storage version and selects by selectableFields', async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], { input: GIZMO_CRD });
    await eventually(async () => (await cluster.kubectl(['get', 'gizmos.v1beta1.example.net'])).code === 0, 10_000);
    for (const [name, color] of [['red-one', 'red'], ['blue-one', 'blue'], ['red-two', 'red']]) {
      await cluster.kubectlOk(['create', '-f', '-'], { input: `apiVersion: example.net/v1beta1\nkind: Gizmo\nmetadata: {name: ${name}}\nspec: {color: ${color}}\n` });
    }
    assert.equal((await json(['get', 'gizmos.v1.example.net', 'red-one']))['apiVersion'], 'example.net/v1');
    assert.equal((await json(['get', 'gizmos.v1beta1.example.net', 'red-one']))['apiVersion'], 'example.net/v1beta1');
    // Stored in the storage version: a watch of v1 (served from the watch cache) sees v1 objects.
    const watched = await cluster.request('/apis/example.net/v1/namespaces/default/gizmos?watch=true&timeoutSeconds=1');
    const events = watched.body.trim().split('\n').map((l) => JSON.parse(l) as { object: { apiVersion: string } });
    assert.equal(events.length, 3);
    assert.ok(events.every((e) => e.object.apiVersion === 'example.net/v1'));
    // A watch of the other served version sees its own apiVersion: events are converted on the way out.
    const watchedBeta = await cluster.request('/apis/example.net/v1beta1/namespaces/default/gizmos?watch=true&timeoutSeconds=1');
    const betaEvents = watchedBeta.body.trim().split('\n').map((l) => JSON.parse(l) as { object: { apiVersion: string } });
    assert.equal(betaEvents.length, 3);
    assert.ok(betaEvents.every((e) => e.object.apiVersion === 'example.net/v1beta1'), watchedBeta.body);
    const deprecated = await cluster.kubectl(['get', 'gizmos.v1beta1.example.net']);
    assert.match(deprecated.stderr, /Warning: example\.net\/v1beta1 Gizmo is deprecated; use example\.net\/v1 Gizmo/);
    const reds = await cluster.kubectlOk(['get', 'gizmos.v1.example.net', '--field-selector', 'spec.color=red', '-o', 'name']);
    assert.deepEqual(reds.trim().split('\n').sort(), ['gizmo.example.net/red-one', 'gizmo.example.net/red-two']);
    const page = JSON.parse((await cluster.request('/apis/example.net/v1/namespaces/default/gizmos?limit=2')).body) as { items: unknown[]; metadata: { continue?: string } };
    assert.equal(page.items.length, 2);
    assert.ok(page.metadata.continue);
    const rest = JSON.parse((await cluster.request(`/apis/example.net/v1/namespaces/default/gizmos?limit=2&continue=${encodeURIComponent(page.metadata.continue)}`)).body) as { items: unknown[] };
    assert.equal(rest.items.length, 1);
  });

  void it('converts between versions through a conversion webhook', async () => {
    const webhook = await startConversionWebhook();
    try {
      await cluster.kubectlOk(['apply', '-f', '-'], { input: thingCrd(webhook.url, webhook.caBundle) });
      await eventually(async () => (await cluster.kubectl(['get', 'things.v1beta1.convert.example.com'])).code === 0, 10_000);
      await cluster.kubectlOk(['create', '-f', '-'], { input: 'apiVersion: convert.example.com/v1beta1\nkind: Thing\nmetadata: {name: t1}\nspec: {colour: teal}\n' });
      const v1 = await json(['get', 'things.v1.convert.example.com', 't1']);
      assert.equal(v1['apiVersion'], 'convert.example.com/v1');
      assert.deepEqual(v1['spec'], { color: 'teal' });
      const old = await json(['get', 'things.v1beta1.convert.example.com', 't1']);
      assert.deepEqual(old['spec'], { colour: 'teal' });
      await cluster.kubectlOk(['patch', 'things.v1.convert.example.com', 't1', '--type=merge', '-p', '{"spec":{"color":"navy"}}']);
      assert.deepEqual((await json(['get', 'things.v1beta1.convert.example.com', 't1']))['spec'], { colour: 'navy' });
      const watched = await cluster.request('/apis/convert.example.com/v1beta1/namespaces/default/things?watch=true&timeoutSeconds=1');
      const event = JSON.parse(watched.body.trim().split('\n')[0] ?? '{}') as { object?: { apiVersion?: string; spec?: unknown } };
      assert.equal(event.object?.apiVersion, 'convert.example.com/v1beta1', watched.body);
      assert.deepEqual(event.object?.spec, { colour: 'navy' });
      assert.ok(webhook.calls() >= 3);
      await cluster.kubectlOk(['create', '-f', '-'], { input: 'apiVersion: convert.example.com/v1beta1\nkind: Thing\nmetadata: {name: t2}\nspec: {colour: red}\n' });
    } finally {
      webhook.server.close();
    }
    // The webhook is gone: the CRD still goes, with its objects (deleted as stored, without conversion).
    await cluster.kubectlOk(['delete', 'crd', 'things.convert.example.com', '--timeout=30s']);
  });

  void it('reaches a conversion webhook named by a Service through its endpoints', async () => {
    const webhook = await startConversionWebhook();
    try {
      await cluster.kubectlOk(['create', 'namespace', 'webhooks']);
      await cluster.kubectlOk(['apply', '-f', '-'], {
        input: `apiVersion: v1
kind: Service
metadata: {name: converter, namespace: webhooks}
spec: {ports: [{port: 443, targetPort: ${webhook.port}}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: converter, namespace: webhooks}
subsets: [{addresses: [{ip: 127.0.0.1}], ports: [{port: ${webhook.port}}]}]
`,
      });
      const crd = thingCrd('unused', webhook.caBundle)
        .replaceAll('convert.example.com', 'viasvc.example.com')
        .replace('        url: unused\n', '        service: {namespace: webhooks, name: converter, path: /convert}\n');
      await cluster.kubectlOk(['apply', '-f', '-'], { input: crd });
      await eventually(async () => (await cluster.kubectl(['get', 'things.v1beta1.viasvc.example.com'])).code === 0, 10_000);
      await cluster.kubectlOk(['create', '-f', '-'], { input: 'apiVersion: viasvc.example.com/v1beta1\nkind: Thing\nmetadata: {name: s1}\nspec: {colour: plum}\n' });
      assert.deepEqual((await json(['get', 'things.v1.viasvc.example.com', 's1']))['spec'], { color: 'plum' });
      assert.ok(webhook.calls() >= 1);
      await cluster.kubectlOk(['delete', 'crd', 'things.viasvc.example.com', '--timeout=30s']);
    } finally {
      webhook.server.close();
    }
  });

  void it('refuses names already accepted for another CRD of the group', async () => {
    const clash = WIDGET_CRD.replace('name: widgets.example.com', 'name: sprockets.example.com').replace('plural: widgets', 'plural: sprockets').replace('singular: widget', 'singular: sprocket').replace('shortNames: [wd]', 'shortNames: [sp]');
    await cluster.kubectlOk(['apply', '-f', '-'], { input: clash });
    const conditions = await eventually(async () => {
      const crd = await json(['get', 'crd', 'sprockets.example.com']);
      const list = ((crd['status'] as { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined)?.conditions) ?? [];
      return list.length > 0 ? list : undefined;
    }, 10_000);
    const names = conditions.find((c) => c.type === 'NamesAccepted');
    assert.deepEqual([names?.status, names?.reason, names?.message], ['False', 'KindConflict', '"Widget" is already in use']);
    assert.equal(conditions.find((c) => c.type === 'Established')?.status, 'False');
    await cluster.kubectlOk(['delete', 'crd', 'sprockets.example.com']);
  });

  void it('applies custom resources server-side with field ownership from the schema', async () => {
    const gadget = 'apiVersion: tools.example.org/v1alpha1\nkind: Gadget\nmetadata: {name: g-ssa}\nspec: {name: ssa}\n';
    await cluster.kubectlOk(['apply', '--server-side', '--field-manager=tester', '-f', '-'], { input: gadget });
    const g = await json(['get', 'gadget', 'g-ssa', '--show-managed-fields']);
    const managers = ((g['metadata'] as { managedFields?: { manager: string; operation: string }[] }).managedFields ?? []).map((m) => [m.manager, m.operation]);
    assert.deepEqual(managers, [['tester', 'Apply']]);
    const conflict = await cluster.kubectl(['apply', '--server-side', '--field-manager=other', '-f', '-'], { input: gadget.replace('{name: ssa}', '{name: ssa2}') });
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /conflict/i);
  });

  void it('includes custom resources of the all category in get all', async () => {
    const out = await cluster.kubectlOk(['get', 'all']);
    assert.match(out, /widget\.example\.com\/w1/);
  });

  void it('refuses a bad CRD with 422', async () => {
    const bad = await cluster.kubectl(['apply', '-f', '-'], {
      input: GADGET_CRD.replace('name: gadgets.tools.example.org', 'name: things.tools.example.org').replace('storage: true', 'storage: false'),
    });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /metadata\.name: Invalid value: "things\.tools\.example\.org": must be spec\.names\.plural\+"\."\+spec\.group/);
    assert.match(bad.stderr, /must have exactly one version marked as storage version/);
  });

  void it('serves custom resources again right after a restart', async () => {
    await cluster.restart('SIGTERM');
    const out = await cluster.kubectlOk(['get', 'widgets']);
    assert.match(out, /^w1\s+4\s+L\s+/m);
  });

  void it('deleting a CRD deletes its objects and its discovery entry', async () => {
    await cluster.kubectlOk(['delete', 'crd', 'widgets.example.com', '--wait=true', '--timeout=30s']);
    await eventually(async () => (await cluster.kubectl(['get', 'crd', 'widgets.example.com'])).code !== 0, 10_000);
    const rs = await cluster.kubectl(['api-resources', '--api-group=example.com']);
    assert.doesNotMatch(rs.stdout, /widgets/);
    // Recreating the CRD serves an empty collection: the old objects are gone from storage.
    await cluster.kubectlOk(['apply', '-f', '-'], { input: WIDGET_CRD });
    await eventually(async () => (await cluster.kubectl(['get', 'widgets'])).code === 0, 10_000);
    const list = await json(['get', 'widgets', '-A']);
    assert.deepEqual(list['items'], []);
  });
});
