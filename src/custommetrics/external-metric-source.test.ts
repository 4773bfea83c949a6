import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../api/meta/types.js';
import { externalMetricSourceCrd, parseExternalMetricSource } from './external-metric-source.js';

const obj = (spec: unknown): KubeObject => ({ apiVersion: 'metrics.tkube.io/v1alpha1', kind: 'ExternalMetricSource', metadata: { name: 's', namespace: 'default' }, spec });

void describe('parseExternalMetricSource()', () => {
  void it('reads a full spec', () => {
    const parsed = parseExternalMetricSource(
      obj({
        url: 'https://q.example/metrics',
        intervalSeconds: 30,
        timeoutSeconds: 2.5,
        metrics: [
          { name: 'queue_length', series: 'depth', matchLabels: { queue: 'jobs' }, labels: { team: 'a' } },
          { name: 'backlog', jsonPath: '$.stats.backlog' },
          { name: 'plain' },
        ],
      }),
    );
    assert.ok('spec' in parsed);
    assert.equal(parsed.spec.intervalMs, 30_000);
    assert.equal(parsed.spec.timeoutMs, 2_500);
    assert.deepEqual(parsed.spec.metrics, [
      { name: 'queue_length', series: 'depth', matchLabels: { queue: 'jobs' }, labels: { team: 'a' } },
      { name: 'backlog', jsonPath: [{ field: 'stats' }, { field: 'backlog' }], labels: {} },
      { name: 'plain', series: 'plain', matchLabels: {}, labels: {} },
    ]);
  });

  void it('lists every problem of a bad spec', () => {
    const parsed = parseExternalMetricSource(obj({ url: 'ftp://x', intervalSeconds: 0, metrics: [{ name: 'a-b' }, { name: 'ok', series: 'x', jsonPath: '$.' }, { name: 'l', labels: { a: 1 } }] }));
    assert.ok('problems' in parsed);
    assert.equal(parsed.problems.length, 6, parsed.problems.join('\n'));
    assert.match(parsed.problems.join('\n'), /spec\.url: Unsupported value: "ftp:"/);
    assert.ok('problems' in parseExternalMetricSource(obj(undefined)));
  });

  void it('has a CRD with a status subresource and a structural schema', () => {
    const crd = externalMetricSourceCrd();
    assert.equal(crd.metadata?.name, 'externalmetricsources.metrics.tkube.io');
    const version = (crd.spec as { versions: { name: string; subresources: unknown }[] }).versions[0];
    assert.equal(version?.name, 'v1alpha1');
    assert.deepEqual(version?.subresources, { status: {} });
  });
});
