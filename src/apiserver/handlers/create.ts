/**
 * POST: create an object, or the create-only subresources `pods/<name>/binding`, `pods/<name>/eviction` and the
 * `bindings` resource. Answers 201 with the object (creates) or a Status Success (binding, eviction).
 */
import { badRequest, methodNotAllowed } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import { bindPod } from '../registry/pod-binding.js';
import { evictPod } from '../registry/pod-eviction.js';
import { admissionRequestOf } from './admission-request.js';
import { isObjectBody, managedFieldsRecorderOf } from './handler-context.js';
import type { HandlerContext } from './handler-context.js';
import { writeObject, writeSuccess } from './object-response.js';
import { deleteOptionsOf, dryRunOf, fieldValidationOf } from './query-options.js';
import { checkUnknownFields } from './unknown-fields.js';
import { legacyBodyError } from './legacy-api-version.js';

function decodeObjectBody(ctx: HandlerContext, strict: boolean): KubeObject {
  const body = ctx.decode(strict);
  if (!isObjectBody(body)) throw badRequest('Cannot decode the request body: it is not a JSON object');
  const legacy = legacyBodyError(body);
  if (legacy) throw legacy;
  return body;
}

/** createObject answers POST /…/<resource> and POST /…/<name>/{binding,eviction}. */
export async function createObject(ctx: HandlerContext): Promise<void> {
  const url = ctx.scope.url;
  const dryRun = dryRunOf(url);
  const validation = fieldValidationOf(url);
  const body = decodeObjectBody(ctx, validation === 'Strict');
  const info = ctx.entry.info;
  const sub = ctx.subresource?.name ?? '';

  if ((info.group === '' && info.resource === 'bindings') || sub === 'binding') {
    const pods = ctx.lookup('', 'pods');
    if (!pods) throw methodNotAllowed('the server does not allow this method on the requested resource');
    const podName = sub === 'binding' ? ctx.name : (body.metadata?.name ?? '');
    if (podName === '') throw badRequest('Cannot bind pod: metadata.name is required');
    await bindPod(pods.store, ctx.namespace, podName, body, ctx.clock.now(), dryRun);
    writeSuccess(ctx, 201);
    return;
  }
  if (sub === 'eviction') {
    const options = deleteOptionsOf(url, body['deleteOptions']);
    await evictPod(ctx.entry.store, ctx.lookup('policy', 'poddisruptionbudgets')?.store, ctx.namespace, ctx.name, options, new Date(ctx.clock.now()), dryRun);
    writeSuccess(ctx, 201);
    return;
  }
  if (sub !== '') throw methodNotAllowed('the server does not allow this method on the requested resource');

  checkUnknownFields(ctx, body, { group: info.group, version: info.version, kind: info.kind }, validation);
  const created = await ctx.entry.store.create(ctx.namespace, body, {
    dryRun,
    admission: admissionRequestOf(ctx, 'CreateOptions'),
    managedFields: managedFieldsRecorderOf(ctx, 'CreateOptions'),
  });
  writeObject(ctx, 201, created);
}
