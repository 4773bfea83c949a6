import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ADMISSION_PLUGINS, newAdmissionChain, selectAdmissionPlugins } from './admission-plugins.js';
import { MemoryObjectReader } from './memory-object-reader.js';

describe('admission plugin selection', () => {
  it('starts from the defaults and keeps upstream order whatever the flag order', () => {
    const names = selectAdmissionPlugins(['AlwaysDeny', 'AlwaysAdmit'], ['PodSecurity']);
    assert.equal(names[0], 'AlwaysAdmit');
    assert.equal(names.at(-1), 'AlwaysDeny');
    assert.ok(!names.includes('PodSecurity'));
    assert.equal(selectAdmissionPlugins().length, DEFAULT_ADMISSION_PLUGINS.length);
  });
  it('refuses unknown names and contradictions', () => {
    assert.throws(() => selectAdmissionPlugins(['Nope']), /plugin "Nope" is unknown/);
    assert.throws(() => selectAdmissionPlugins(['Priority'], ['Priority']), /both enabled and disabled/);
  });
  it('builds the implemented plugins and reports the others', () => {
    const built = newAdmissionChain({ reader: new MemoryObjectReader(), extraPlugins: [{ name: 'Mine' }] });
    assert.deepEqual(built.chain.names, [
      'NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'PodSecurity', 'Priority', 'DefaultTolerationSeconds', 'DefaultStorageClass',
      'CertificateSubjectRestriction', 'DefaultIngressClass', 'MutatingAdmissionWebhook', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionWebhook', 'ResourceQuota', 'Mine',
    ]);
    assert.ok(built.skipped.includes('TaintNodesByCondition'));
    built.stop();
  });
});
