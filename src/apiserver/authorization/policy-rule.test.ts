import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compactRuleString, ruleAllows, uncoveredRules, type RuleRequest } from './policy-rule.js';

const req = (verb: string, resource: string, more: Partial<RuleRequest> = {}): RuleRequest => ({ isResourceRequest: true, verb, apiGroup: '', resource, subresource: '', name: '', path: '', ...more });

describe('policy rules', () => {
  it('match verbs, groups, subresources and names', () => {
    assert.equal(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, req('get', 'pods', { subresource: 'log' })), true);
    assert.equal(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, req('get', 'pods')), false);
    assert.equal(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, req('get', 'pods', { subresource: 'log' })), false);
    assert.equal(ruleAllows({ verbs: ['update'], apiGroups: ['*'], resources: ['*/scale'] }, req('update', 'deployments', { apiGroup: 'apps', subresource: 'scale' })), true);
    assert.equal(ruleAllows({ verbs: ['*'], apiGroups: ['apps'], resources: ['*'] }, req('delete', 'pods')), false);
    assert.equal(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }, req('get', 'secrets', { name: 'a' })), true);
    assert.equal(ruleAllows({ verbs: ['list'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }, req('list', 'secrets')), false);
  });

  it('match non-resource URLs exactly or by a trailing *', () => {
    const rule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
    const nr = (path: string): RuleRequest => ({ ...req('get', ''), isResourceRequest: false, path });
    assert.equal(ruleAllows(rule, nr('/healthz')), true);
    assert.equal(ruleAllows(rule, nr('/healthz/etcd')), false);
    assert.equal(ruleAllows(rule, nr('/apis/apps/v1')), true);
    assert.equal(ruleAllows(rule, nr('/api')), false);
    assert.equal(ruleAllows({ verbs: ['get'], apiGroups: ['*'], resources: ['*'] }, nr('/healthz')), false);
  });

  it('find the parts of wanted rules nobody holds', () => {
    const owner = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', '*/status'] }, { verbs: ['get'], nonResourceURLs: ['/logs/*'] }];
    assert.deepEqual(uncoveredRules(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods', 'pods/status'] }]), []);
    assert.deepEqual(uncoveredRules(owner, [{ verbs: ['get'], nonResourceURLs: ['/logs/a'] }]), []);
    assert.deepEqual(uncoveredRules(owner, [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }]), [{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]);
    assert.deepEqual(uncoveredRules([{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]).length, 1);
    assert.deepEqual(uncoveredRules([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['get'], apiGroups: ['x'], resources: ['y'], resourceNames: ['z'] }]), []);
  });

  it('print rules as upstream compact strings', () => {
    assert.equal(compactRuleString({ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }), '{APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get" "list"]}');
    assert.equal(compactRuleString({ verbs: ['get'], nonResourceURLs: ['/x'] }), '{NonResourceURLs:["/x"], Verbs:["get"]}');
  });
});
