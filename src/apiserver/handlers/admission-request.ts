/**
 * admissionRequestOf: what a write handler hands the store so the write runs the admission chain — the user,
 * the request's options object (as webhooks receive it), and a sink that turns plugin warnings into Warning headers.
 */
import type { AdmissionRequest } from '../registry/generic-store.js';
import type { HandlerContext } from './handler-context.js';
import { addWarnings } from './object-response.js';

/** The options kind each write verb sends to webhooks, as upstream names them. */
export type OptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

/** admissionRequestOf builds the AdmissionRequest of a write; `deleteOptions` is the decoded DeleteOptions of a DELETE. */
export function admissionRequestOf(ctx: HandlerContext, kind: OptionsKind, deleteOptions?: object): AdmissionRequest {
  const query = ctx.scope.url.searchParams;
  const options: Record<string, unknown> = { ...(deleteOptions ?? {}), kind, apiVersion: 'meta.k8s.io/v1' };
  const fieldManager = query.get('fieldManager');
  if (fieldManager && kind !== 'DeleteOptions') options['fieldManager'] = fieldManager;
  const dryRun = query.getAll('dryRun');
  if (dryRun.length > 0) options['dryRun'] = dryRun;
  const annotate = ctx.scope.annotateAudit;
  return { user: ctx.scope.user, options, warn: (message) => addWarnings(ctx, [message]), ...(annotate ? { addAuditAnnotation: annotate } : {}) };
}
