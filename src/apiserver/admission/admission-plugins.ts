/**
 * The admission plugins by name, in upstream's order (kube-apiserver's AllOrderedPlugins), the default set, and
 * `--enable-admission-plugins` / `--disable-admission-plugins`: the enabled set is the defaults plus what
 * `enable` names minus what `disable` names; plugins always run in upstream's order, whatever order the flags
 * list them in. Names upstream knows that tkube does not implement yet are accepted and skipped (the returned
 * `skipped` list says which) so that flags written for kube-apiserver keep working.
 */
import type { AdmissionPlugin } from './admission.js';
import { AdmissionChain } from './admission-chain.js';
import { admissionForbidden } from './admission-forbidden.js';
import { MutatingAdmissionWebhook, ValidatingAdmissionWebhook, type WebhookCaller } from './admission-webhook.js';
import { CertificateSubjectRestriction } from './certificate-subject-restriction.js';
import { DefaultIngressClass } from './default-ingress-class.js';
import { DefaultStorageClass } from './default-storage-class.js';
import { DefaultTolerationSeconds } from './default-toleration-seconds.js';
import { LimitRanger } from './limit-ranger.js';
import { NamespaceLifecycle } from './namespace-lifecycle.js';
import type { ObjectReader } from './object-reader.js';
import { PodSecurity } from './pod-security.js';
import { Priority } from './priority.js';
import { ResourceQuota } from './resource-quota.js';
import { ServiceAccount } from './service-account.js';
import { ValidatingAdmissionPolicy } from './validating-admission-policy.js';

/** Every plugin name upstream knows, in the order plugins run. */
export const ADMISSION_PLUGIN_ORDER: readonly string[] = [
  'AlwaysAdmit',
  'NamespaceAutoProvision',
  'NamespaceLifecycle',
  'NamespaceExists',
  'LimitPodHardAntiAffinityTopology',
  'LimitRanger',
  'ServiceAccount',
  'NodeRestriction',
  'TaintNodesByCondition',
  'AlwaysPullImages',
  'ImagePolicyWebhook',
  'PodSecurity',
  'PodNodeSelector',
  'Priority',
  'DefaultTolerationSeconds',
  'PodTolerationRestriction',
  'EventRateLimit',
  'ExtendedResourceToleration',
  'DefaultStorageClass',
  'StorageObjectInUseProtection',
  'OwnerReferencesPermissionEnforcement',
  'PersistentVolumeClaimResize',
  'RuntimeClass',
  'CertificateApproval',
  'CertificateSigning',
  'ClusterTrustBundleAttest',
  'CertificateSubjectRestriction',
  'DefaultIngressClass',
  'DenyServiceExternalIPs',
  'PodTopologyLabels',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
  'AlwaysDeny',
];

/** The plugins on by default, as upstream's default set. */
export const DEFAULT_ADMISSION_PLUGINS: readonly string[] = [
  'NamespaceLifecycle',
  'LimitRanger',
  'ServiceAccount',
  'TaintNodesByCondition',
  'PodSecurity',
  'Priority',
  'DefaultTolerationSeconds',
  'DefaultStorageClass',
  'StorageObjectInUseProtection',
  'PersistentVolumeClaimResize',
  'RuntimeClass',
  'CertificateApproval',
  'CertificateSigning',
  'ClusterTrustBundleAttest',
  'CertificateSubjectRestriction',
  'DefaultIngressClass',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
];

/** AdmissionDependencies is what plugin factories get. */
export interface AdmissionDependencies {
  readonly reader: ObjectReader;
  /** Reports background failures (quota status refreshes). */
  readonly onError?: (err: unknown) => void;
  /** Replaces the HTTPS webhook call (tests). */
  readonly callWebhook?: WebhookCaller;
  /** `--default-not-ready-toleration-seconds` / `--default-unreachable-toleration-seconds`. @default 300 each */
  readonly defaultTolerationSeconds?: { readonly notReady?: number; readonly unreachable?: number };
}

/** AdmissionPluginFactory builds one plugin. */
export type AdmissionPluginFactory = (deps: AdmissionDependencies) => AdmissionPlugin;

/** The plugins tkube implements. Other components may add theirs (e.g. NodeRestriction) through `factories`. */
export const BUILTIN_ADMISSION_FACTORIES: ReadonlyMap<string, AdmissionPluginFactory> = new Map<string, AdmissionPluginFactory>([
  ['AlwaysAdmit', () => ({ name: 'AlwaysAdmit' })],
  ['NamespaceLifecycle', (d) => new NamespaceLifecycle(d.reader)],
  ['LimitRanger', (d) => new LimitRanger(d.reader)],
  ['ServiceAccount', (d) => new ServiceAccount(d.reader)],
  ['PodSecurity', (d) => new PodSecurity(d.reader)],
  ['Priority', (d) => new Priority(d.reader)],
  ['DefaultStorageClass', (d) => new DefaultStorageClass(d.reader)],
  ['DefaultIngressClass', (d) => new DefaultIngressClass(d.reader)],
  [
    'DefaultTolerationSeconds',
    (d) => new DefaultTolerationSeconds({ notReadySeconds: d.defaultTolerationSeconds?.notReady, unreachableSeconds: d.defaultTolerationSeconds?.unreachable }),
  ],
  ['CertificateSubjectRestriction', () => new CertificateSubjectRestriction()],
  ['MutatingAdmissionWebhook', (d) => new MutatingAdmissionWebhook(d.reader, { call: d.callWebhook })],
  ['ValidatingAdmissionPolicy', (d) => new ValidatingAdmissionPolicy(d.reader)],
  ['ValidatingAdmissionWebhook', (d) => new ValidatingAdmissionWebhook(d.reader, { call: d.callWebhook })],
  ['ResourceQuota', (d) => new ResourceQuota(d.reader, { onError: d.onError })],
  [
    'AlwaysDeny',
    () => ({
      name: 'AlwaysDeny',
      validate: (a) => {
        throw admissionForbidden(a, 'admission control is denying all modifications');
      },
    }),
  ],
]);

/**
 * selectAdmissionPlugins resolves the flags to the enabled names in run order. Throws for a name upstream does
 * not know, or one both enabled and disabled (upstream refuses both).
 */
export function selectAdmissionPlugins(enable: readonly string[] = [], disable: readonly string[] = []): string[] {
  for (const [flag, names] of [['enable-admission-plugins', enable], ['disable-admission-plugins', disable]] as const) {
    for (const n of names) {
      if (!ADMISSION_PLUGIN_ORDER.includes(n)) throw new Error(`Cannot configure admission: ${flag} plugin "${n}" is unknown`);
    }
  }
  const both = enable.filter((n) => disable.includes(n));
  if (both.length > 0) throw new Error(`Cannot configure admission: ${both.join(', ')} are both enabled and disabled`);
  const wanted = new Set([...DEFAULT_ADMISSION_PLUGINS, ...enable].filter((n) => !disable.includes(n)));
  return ADMISSION_PLUGIN_ORDER.filter((n) => wanted.has(n));
}

/** AdmissionChainConfig builds a chain. */
export interface AdmissionChainConfig extends AdmissionDependencies {
  /** Enabled plugin names (selectAdmissionPlugins). @default DEFAULT_ADMISSION_PLUGINS */
  readonly enabled?: readonly string[];
  /** Factories beyond (or replacing) the built-in ones, by upstream name. */
  readonly factories?: ReadonlyMap<string, AdmissionPluginFactory>;
  /** In-process plugins of TypeScript code, run after the named ones of each phase. */
  readonly extraPlugins?: readonly AdmissionPlugin[];
}

/** BuiltAdmission is an assembled chain and how to stop its background work. */
export interface BuiltAdmission {
  readonly chain: AdmissionChain;
  /** Enabled names without an implementation (accepted, not run). */
  readonly skipped: readonly string[];
  stop(): void;
}

/** newAdmissionChain builds the chain of the enabled plugins, in upstream order, then the extra plugins. */
export function newAdmissionChain(config: AdmissionChainConfig): BuiltAdmission {
  const enabled = ADMISSION_PLUGIN_ORDER.filter((n) => (config.enabled ?? DEFAULT_ADMISSION_PLUGINS).includes(n));
  const plugins: AdmissionPlugin[] = [];
  const skipped: string[] = [];
  for (const name of enabled) {
    const factory = config.factories?.get(name) ?? BUILTIN_ADMISSION_FACTORIES.get(name);
    if (factory) plugins.push(factory(config));
    else skipped.push(name);
  }
  plugins.push(...(config.extraPlugins ?? []));
  return {
    chain: new AdmissionChain(plugins),
    skipped,
    stop: () => {
      for (const p of plugins) if (p instanceof ResourceQuota) p.stop();
    },
  };
}
