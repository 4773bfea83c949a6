import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateRules } from './clusterrole-aggregation-controller.js';

describe('aggregateRules', () => {
  it('collects the rules of matching roles by name order without duplicates or itself', () => {
    const agg = { metadata: { name: 'view', labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }] }, rules: [] };
    const a = { metadata: { name: 'b-role', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] };
    const b = { metadata: { name: 'a-role', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }, rules: [{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }, { verbs: ['get'], apiGroups: [''], resources: ['pods'] }] };
    const other = { metadata: { name: 'c', labels: { x: 'y' } }, rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] };
    assert.deepEqual(aggregateRules(agg, [agg, a, b, other]), [
      { verbs: ['list'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
    ]);
    assert.deepEqual(aggregateRules({ ...agg, aggregationRule: { clusterRoleSelectors: [] } }, [a, b]), []);
  });
});
