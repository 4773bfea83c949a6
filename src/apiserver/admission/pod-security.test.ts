import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import { newAdmissionAttributes } from './admission-attributes.js';
import { MemoryObjectReader } from './memory-object-reader.js';
import { PodSecurity } from './pod-security.js';
import { checkPod, formatViolations } from './pod-security-checks.js';

const RESTRICTED_OK = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{ name: 'c', image: 'x', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
};

describe('Pod Security Standards checks', () => {
  it('passes a restricted-compliant pod', () => {
    assert.deepEqual(checkPod('restricted', {}, RESTRICTED_OK), []);
  });
  it('explains a bare pod under restricted in upstream order and words', () => {
    const text = formatViolations(checkPod('restricted', {}, { containers: [{ name: 'nginx', image: 'nginx' }] }));
    assert.equal(
      text,
      'allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });
  it('puts baseline failures first and pluralises containers', () => {
    const spec = { hostNetwork: true, containers: [{ name: 'a', securityContext: { privileged: true } }, { name: 'b', securityContext: { privileged: true } }] };
    assert.equal(formatViolations(checkPod('baseline', {}, spec)), 'host namespaces (hostNetwork=true), privileged (containers "a", "b" must not set securityContext.privileged=true)');
    assert.deepEqual(checkPod('privileged', {}, spec), []);
  });
});

describe('PodSecurity plugin', () => {
  const reader = new MemoryObjectReader()
    .add('', 'namespaces', { metadata: { name: 'locked', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } })
    .add('', 'namespaces', { metadata: { name: 'warned', labels: { 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/warn-version': 'v1.32' } } });
  const plugin = new PodSecurity(reader);
  const privileged: KubeObject = { metadata: { name: 'x' }, spec: { ...RESTRICTED_OK, containers: [{ name: 'c', securityContext: { ...RESTRICTED_OK.containers[0]?.securityContext, privileged: true } }] } };

  it('enforce refuses with upstream message shape', async () => {
    const a = newAdmissionAttributes({ operation: 'CREATE', resource: 'pods', namespace: 'locked', object: privileged });
    await assert.rejects(
      plugin.validate(a),
      (err) => err instanceof StatusError && err.status.code === 403 && err.status.message === 'pods "x" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true)',
    );
  });
  it('warn answers with a warning, for pods and for workload templates', async () => {
    const a = newAdmissionAttributes({ operation: 'CREATE', resource: 'pods', namespace: 'warned', object: privileged });
    await plugin.validate(a);
    assert.deepEqual(a.warnings, ['would violate PodSecurity "baseline:v1.32": privileged (container "c" must not set securityContext.privileged=true)']);
    const d = newAdmissionAttributes({ operation: 'CREATE', group: 'apps', resource: 'deployments', namespace: 'warned', object: { metadata: { name: 'd' }, spec: { template: privileged } } });
    assert.ok(plugin.handles(d));
    await plugin.validate(d);
    assert.equal(d.warnings.length, 1);
  });
  it('warns about existing pods when a namespace gets a stricter enforce level', async () => {
    const r = new MemoryObjectReader().add('', 'pods', { metadata: { name: 'old', namespace: 'n' }, spec: { hostNetwork: true, containers: [{ name: 'c' }] } });
    const a = newAdmissionAttributes({
      operation: 'UPDATE',
      resource: 'namespaces',
      name: 'n',
      oldObject: { metadata: { name: 'n' } },
      object: { metadata: { name: 'n', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } },
    });
    await new PodSecurity(r).validate(a);
    assert.deepEqual(a.warnings, ['existing pods in namespace "n" violate the new PodSecurity enforce level "baseline:latest"', 'old: host namespaces']);
  });
});
