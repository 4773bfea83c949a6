/**
 * projected volume: several sources in one directory — configMap, secret, downwardAPI and serviceAccountToken
 * (a TokenRequest for the pod's service account bound to the pod, with the source's audience and lifetime,
 * refreshed at 80% of its life by the TokenCache). This is what the `kube-api-access-*` volume the
 * ServiceAccount admission adds is made of: token, `ca.crt` from the `kube-root-ca.crt` ConfigMap, namespace.
 */
import type { DataObject } from '../pod-spec.js';
import { writeAtomic, validatePayloadPath, type FileProjection } from './atomic-writer.js';
import { projectDownward } from './downward-api.js';
import { DEFAULT_MODE, objectBytes, projectKeys } from './key-projection.js';
import type { SetUpResult, VolumeContext } from './volume-plugin.js';

/** Upstream's default token lifetime for a projected token without expirationSeconds (one hour). */
const DEFAULT_TOKEN_SECONDS = 3600;

/** setUpProjected writes (or refreshes) the volume. */
export async function setUpProjected(ctx: VolumeContext): Promise<SetUpResult> {
  const spec = ctx.volume.projected ?? {};
  const ns = ctx.pod.metadata?.namespace ?? '';
  const defaultMode = spec.defaultMode ?? DEFAULT_MODE;
  const payload = new Map<string, FileProjection>();
  for (const src of spec.sources ?? []) {
    let err: string | undefined;
    if (src.configMap) {
      const name = src.configMap.name ?? '';
      // `kube-root-ca.crt` is published into every namespace by the root-ca-cert-publisher controller; until it
      // exists the volume fails and the pod waits, as upstream's does.
      const obj: DataObject | undefined = await ctx.source.configMap(ns, name);
      if (!obj && src.configMap.optional !== true) return { error: `configmap "${name}" not found` };
      err = projectKeys(payload, objectBytes(obj, false), src.configMap.items, defaultMode, src.configMap.optional === true, false);
    } else if (src.secret) {
      const name = src.secret.name ?? '';
      const obj = await ctx.source.secret(ns, name);
      if (!obj && src.secret.optional !== true) return { error: `secret "${name}" not found` };
      err = projectKeys(payload, objectBytes(obj, true), src.secret.items, defaultMode, src.secret.optional === true, true);
    } else if (src.downwardAPI) {
      err = projectDownward(payload, ctx.pod, src.downwardAPI.items ?? [], defaultMode, ctx.node);
    } else if (src.serviceAccountToken) {
      const t = src.serviceAccountToken;
      err = validatePayloadPath(t.path);
      if (!err) {
        const token = await ctx.tokens.token(ctx.source, ns, ctx.pod.spec?.serviceAccountName || 'default', {
          audiences: t.audience ? [t.audience] : [],
          expirationSeconds: t.expirationSeconds ?? DEFAULT_TOKEN_SECONDS,
          boundPod: { name: ctx.pod.metadata?.name ?? '', uid: ctx.pod.metadata?.uid ?? '' },
        });
        payload.set(t.path, { data: Buffer.from(token, 'utf8'), mode: defaultMode });
      }
    }
    if (err) return { error: err };
  }
  writeAtomic(ctx.dir, payload, ctx.clock.now());
  return { path: ctx.dir, readOnly: true };
}
