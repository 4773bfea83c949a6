/**
 * Answers for clients still speaking the 2014 core API versions (`v1beta1`, `v1beta2`): those objects have another
 * shape (`id`, `desiredState.manifest`, …), so rather than a bare 404 or a list of unknown fields, the answer
 * names the command that converts such a file to v1.
 */
import { newStatus, StatusError, badRequest } from '../../api/meta/status-error.js';
import { LEGACY_API_VERSIONS } from '../../api/legacy/v1beta1-convert.js';

const CONVERT_HINT = 'convert the file to v1 with "tkube convert -f FILE" (then "kubectl apply -f" its output)';

/** legacyBodyError is the 400 for a body whose apiVersion is a 2014 core version, or undefined for any other body. */
export function legacyBodyError(body: { apiVersion?: unknown; kind?: unknown }): StatusError | undefined {
  if (typeof body.apiVersion !== 'string' || !LEGACY_API_VERSIONS.includes(body.apiVersion)) return undefined;
  const kind = typeof body.kind === 'string' && body.kind !== '' ? body.kind : 'object';
  return badRequest(`${kind} is in apiVersion ${body.apiVersion}, which this server does not serve (removed in Kubernetes 1.0): ${CONVERT_HINT}`);
}

/** legacyPathError is the 404 for a request under /api/v1beta1 or /api/v1beta2, or undefined for any other path. */
export function legacyPathError(apiPrefix: string, apiGroup: string, apiVersion: string): StatusError | undefined {
  if (apiPrefix !== 'api' || apiGroup !== '' || !LEGACY_API_VERSIONS.includes(apiVersion)) return undefined;
  return new StatusError(newStatus(404, 'NotFound', `the server does not serve /api/${apiVersion} (removed in Kubernetes 1.0; use /api/v1): ${CONVERT_HINT}`, {}));
}
