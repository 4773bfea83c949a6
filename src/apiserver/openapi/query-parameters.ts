/**
 * The query parameters each kind of API operation accepts, as published in OpenAPI. Clients read these lists to
 * learn what the server supports; in particular kubectl sends `fieldValidation=Strict` only when the PATCH operation
 * of a kind lists `fieldValidation`, so the write operations must list their parameters exactly.
 */

/** ParameterSpec describes one request parameter, independent of the OpenAPI version it is rendered in. */
export interface ParameterSpec {
  readonly name: string;
  readonly in: 'query' | 'path';
  readonly type: 'string' | 'boolean' | 'integer';
  readonly description: string;
  readonly required?: boolean;
}

function query(name: string, type: ParameterSpec['type'], description: string): ParameterSpec {
  return { name, in: 'query', type, description };
}

const PARAMETERS: ReadonlyMap<string, ParameterSpec> = new Map(
  [
    query('allowWatchBookmarks', 'boolean', 'Ask for BOOKMARK events on a watch; the server may send them or not.'),
    query('continue', 'string', 'The continue token of the previous page of a paginated list.'),
    query('dryRun', 'string', 'When "All", run every stage of the request but do not persist the result.'),
    query('fieldManager', 'string', 'The name of the actor making the change, recorded in managedFields.'),
    query('fieldSelector', 'string', 'Restrict the result to objects whose fields match this selector.'),
    query(
      'fieldValidation',
      'string',
      'How to treat unknown or duplicate fields in the body: "Ignore" drops them, "Warn" drops them with a warning, "Strict" fails the request.',
    ),
    query('force', 'boolean', 'For apply patches: take ownership of fields other managers own instead of failing with a conflict.'),
    query('gracePeriodSeconds', 'integer', 'Seconds before the object is deleted; 0 deletes at once.'),
    query(
      'ignoreStoreReadErrorWithClusterBreakingPotential',
      'boolean',
      'Delete an object that can no longer be read from storage. Dangerous: skips finalizers and admission.',
    ),
    query('labelSelector', 'string', 'Restrict the result to objects whose labels match this selector.'),
    query('limit', 'integer', 'The maximum number of items to return in one page of a list.'),
    query('orphanDependents', 'boolean', 'Deprecated in favour of propagationPolicy: leave dependents without their owner.'),
    query('propagationPolicy', 'string', 'How dependents are garbage collected: "Orphan", "Background" or "Foreground".'),
    query('resourceVersion', 'string', 'The resource version the result must be at least as new as; see the API concepts.'),
    query('resourceVersionMatch', 'string', 'How resourceVersion applies to a list: "Exact" or "NotOlderThan".'),
    query('sendInitialEvents', 'boolean', 'For watches: start with synthetic ADDED events for the current state, ended by a bookmark.'),
    query('timeoutSeconds', 'integer', 'End a list or watch call after this many seconds.'),
    query('watch', 'boolean', 'Stream changes instead of returning a list.'),
    query('pretty', 'string', 'When "true", indent the output.'),
    // Log options.
    query('container', 'string', 'The container to address; may be omitted when the pod has one container.'),
    query('follow', 'boolean', 'Stream the log as it grows.'),
    query('insecureSkipTLSVerifyBackend', 'boolean', 'Do not verify the serving certificate of the kubelet the log is read from.'),
    query('limitBytes', 'integer', 'Stop after this many bytes of log.'),
    query('previous', 'boolean', 'Return the log of the previous, terminated instance of the container.'),
    query('sinceSeconds', 'integer', 'Only return log lines newer than this many seconds.'),
    query('stream', 'string', 'Which log stream to return: "All", "Stdout" or "Stderr".'),
    query('tailLines', 'integer', 'Only return this many lines from the end of the log.'),
    query('timestamps', 'boolean', 'Prefix each line with its RFC 3339 timestamp.'),
    // Exec and attach options.
    query('command', 'string', 'The command to run; repeat the parameter for each argument.'),
    query('stdin', 'boolean', 'Attach standard input.'),
    query('stdout', 'boolean', 'Attach standard output.'),
    query('stderr', 'boolean', 'Attach standard error.'),
    query('tty', 'boolean', 'Allocate a terminal.'),
    query('ports', 'integer', 'The ports to forward.'),
    query('path', 'string', 'The path to proxy the request to.'),
  ].map((p) => [p.name, p] as const),
);

/** Parameter lists of each action, by the names clients rely on. */
export const LIST_PARAMETERS: readonly string[] = [
  'allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'resourceVersionMatch',
  'sendInitialEvents', 'timeoutSeconds', 'watch',
];
/** CREATE_PARAMETERS are the parameters of POST and PUT. */
export const CREATE_PARAMETERS: readonly string[] = ['dryRun', 'fieldManager', 'fieldValidation'];
/** PATCH_PARAMETERS are the parameters of PATCH. */
export const PATCH_PARAMETERS: readonly string[] = ['dryRun', 'fieldManager', 'fieldValidation', 'force'];
/** DELETE_PARAMETERS are the parameters of DELETE on one object. */
export const DELETE_PARAMETERS: readonly string[] = [
  'dryRun', 'gracePeriodSeconds', 'ignoreStoreReadErrorWithClusterBreakingPotential', 'orphanDependents', 'propagationPolicy',
];
/** DELETE_COLLECTION_PARAMETERS are the parameters of DELETE on a collection. */
export const DELETE_COLLECTION_PARAMETERS: readonly string[] = [
  'continue', 'dryRun', 'fieldSelector', 'gracePeriodSeconds', 'ignoreStoreReadErrorWithClusterBreakingPotential', 'labelSelector',
  'limit', 'orphanDependents', 'propagationPolicy', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds',
];
/** LOG_PARAMETERS are the parameters of `pods/log`. */
export const LOG_PARAMETERS: readonly string[] = [
  'container', 'follow', 'insecureSkipTLSVerifyBackend', 'limitBytes', 'previous', 'sinceSeconds', 'stream', 'tailLines', 'timestamps',
];

/** CONNECT_PARAMETERS gives the parameters of each connect subresource. */
export const CONNECT_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  attach: ['container', 'stderr', 'stdin', 'stdout', 'tty'],
  exec: ['command', 'container', 'stderr', 'stdin', 'stdout', 'tty'],
  portforward: ['ports'],
  proxy: ['path'],
};

/** queryParameters returns the specs of the named parameters; an unknown name is a programming error. */
export function queryParameters(names: readonly string[]): ParameterSpec[] {
  return names.map((name) => {
    const spec = PARAMETERS.get(name);
    if (spec === undefined) throw new Error(`Cannot describe query parameter "${name}": unknown parameter`);
    return spec;
  });
}

/** pathParameter describes a path parameter such as `{namespace}` or `{name}`. */
export function pathParameter(name: 'namespace' | 'name', kind: string): ParameterSpec {
  return {
    name,
    in: 'path',
    type: 'string',
    required: true,
    description: name === 'namespace' ? 'The namespace of the objects.' : `The name of the ${kind}.`,
  };
}
