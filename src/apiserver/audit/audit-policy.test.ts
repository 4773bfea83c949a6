import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuditPolicy, ruleMatches, type AuditAttributes } from './audit-policy.js';

const base: AuditAttributes = {
  user: { username: 'alice', groups: ['devs', 'system:authenticated'] },
  verb: 'get',
  isResourceRequest: true,
  path: '/api/v1/namespaces/default/pods/web',
  apiGroup: '',
  resource: 'pods',
  subresource: '',
  namespace: 'default',
  name: 'web',
};
const at = (o: Partial<AuditAttributes>): AuditAttributes => ({ ...base, ...o });

describe('audit policy rules', () => {
  it('match users, groups and verbs', () => {
    assert.equal(ruleMatches({ level: 'Metadata', users: ['alice'] }, base), true);
    assert.equal(ruleMatches({ level: 'Metadata', users: ['bob'] }, base), false);
    assert.equal(ruleMatches({ level: 'Metadata', userGroups: ['devs'] }, base), true);
    assert.equal(ruleMatches({ level: 'Metadata', userGroups: ['ops'] }, base), false);
    assert.equal(ruleMatches({ level: 'Metadata', verbs: ['get', 'list'] }, base), true);
    assert.equal(ruleMatches({ level: 'Metadata', verbs: ['create'] }, base), false);
    assert.equal(ruleMatches({ level: 'Metadata', users: ['alice'] }, at({ user: undefined })), false);
  });

  it('match resources with groups, subresource forms and resource names', () => {
    const r = (resources: string[], group = '', resourceNames?: string[]) => ({ level: 'Metadata' as const, resources: [{ group, resources, resourceNames }] });
    assert.equal(ruleMatches(r(['pods']), base), true);
    assert.equal(ruleMatches(r(['pods'], 'apps'), base), false);
    assert.equal(ruleMatches(r(['deployments'], 'apps'), at({ apiGroup: 'apps', resource: 'deployments' })), true);
    assert.equal(ruleMatches(r(['pods']), at({ subresource: 'log' })), false);
    assert.equal(ruleMatches(r(['pods/log']), at({ subresource: 'log' })), true);
    assert.equal(ruleMatches(r(['pods/*']), at({ subresource: 'log' })), true);
    assert.equal(ruleMatches(r(['*/log']), at({ subresource: 'log' })), true);
    assert.equal(ruleMatches(r(['*/log']), base), false);
    assert.equal(ruleMatches(r(['*']), at({ subresource: 'status' })), true);
    assert.equal(ruleMatches(r([]), at({ resource: 'anything' })), true);
    assert.equal(ruleMatches(r(['pods'], '', ['web']), base), true);
    assert.equal(ruleMatches(r(['pods'], '', ['db']), base), false);
  });

  it('keep resource rules and non-resource rules apart', () => {
    const nonResource = at({ isResourceRequest: false, path: '/healthz/etcd', resource: '', namespace: '', name: '' });
    assert.equal(ruleMatches({ level: 'None', nonResourceURLs: ['/healthz*'] }, nonResource), true);
    assert.equal(ruleMatches({ level: 'None', nonResourceURLs: ['/healthz'] }, nonResource), false);
    assert.equal(ruleMatches({ level: 'None', nonResourceURLs: ['*'] }, base), false);
    assert.equal(ruleMatches({ level: 'None', resources: [{ group: '' }] }, nonResource), false);
    assert.equal(ruleMatches({ level: 'None', namespaces: ['default'] }, base), true);
    assert.equal(ruleMatches({ level: 'None', namespaces: [''] }, at({ namespace: '' })), true);
    assert.equal(ruleMatches({ level: 'None', namespaces: ['kube-system'] }, base), false);
  });
});

describe('AuditPolicy', () => {
  it('parses a policy; the first matching rule decides; omitStages add up', () => {
    const p = AuditPolicy.parse(`
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: ["system:kube-proxy"]
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets"]
    omitStages: [ResponseStarted]
  - level: RequestResponse
`);
    assert.deepEqual(p.evaluate(at({ resource: 'secrets' })), { level: 'Metadata', omitStages: ['RequestReceived', 'ResponseStarted'] });
    assert.equal(p.evaluate(base).level, 'RequestResponse');
    assert.equal(p.evaluate(at({ user: { username: 'system:kube-proxy', groups: [] } })).level, 'None');
  });

  it('with no matching rule the level is None', () => {
    assert.equal(AuditPolicy.parse('kind: Policy\nrules: [{level: Metadata, verbs: [delete]}]\n').evaluate(base).level, 'None');
  });

  it('refuses unknown levels and stages', () => {
    assert.throws(() => AuditPolicy.parse('kind: Policy\nrules: [{level: Everything}]\n'), /level "Everything" is not one of/);
    assert.throws(() => AuditPolicy.parse('kind: Policy\nomitStages: [Never]\nrules: []\n'), /unknown stage "Never"/);
    assert.throws(() => AuditPolicy.parse('kind: Other\n'), /want Policy/);
  });

  it('the default policy is Metadata for everything (no bodies) and skips probes', () => {
    const p = AuditPolicy.defaultPolicy();
    assert.equal(p.evaluate(at({ verb: 'create', resource: 'secrets' })).level, 'Metadata');
    assert.equal(p.evaluate(at({ verb: 'create', resource: 'serviceaccounts', subresource: 'token' })).level, 'Metadata');
    assert.equal(p.evaluate(at({ verb: 'create', apiGroup: 'authentication.k8s.io', resource: 'tokenreviews' })).level, 'Metadata');
    assert.equal(p.evaluate(at({ verb: 'create' })).level, 'Metadata');
    assert.equal(p.evaluate(base).level, 'Metadata');
    assert.equal(p.evaluate(at({ isResourceRequest: false, path: '/readyz', resource: '' })).level, 'None');
  });
});
