/**
 * What a kubectl call that was killed at its deadline was waiting on: the objects its arguments name, so that the
 * harness can print their state (`kubectl get … -o yaml`) beside the failure. A hung `delete`, `wait` or
 * `rollout status` then explains itself in CI (a pod left Terminating, a pod re-created under the same name, a
 * condition never set) instead of ending as a bare "exited 128".
 */

/** NamedObjects is what a kubectl command line names: `get` arguments and namespace flags to read them back. */
export interface NamedObjects {
  /** Arguments for `kubectl get` after the verb: `pod web-1`, or `statefulset/web pod/web-0`. */
  readonly targets: readonly string[];
  /** `-n <ns>`, `-A`, or nothing (the kubeconfig's namespace). */
  readonly namespace: readonly string[];
}

/** Flags whose value is the next argument when not written `--flag=value` (those the tests use). */
const FLAGS_WITH_VALUE = new Set([
  '-n', '--namespace', '-o', '--output', '-l', '--selector', '-f', '--filename', '-p', '--patch', '--type', '-c', '--container',
  '--for', '--timeout', '--field-selector', '--grace-period', '--kubeconfig', '--context', '--cascade', '--to-revision', '--replicas',
]);

/** Verbs whose first positional arguments are the resource and names they act on. */
const NAMING_VERBS = new Set(['delete', 'wait', 'get', 'scale', 'patch', 'describe']);

/**
 * namedObjects reads the objects a kubectl command line names, or undefined when it names none the harness can read
 * back (a `-f` manifest, a selector, `exec`, …). `rollout status|restart|undo <kind/name>` counts as naming its object.
 */
export function namedObjects(args: readonly string[]): NamedObjects | undefined {
  const positional: string[] = [];
  let namespace: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-A' || a === '--all-namespaces') {
      namespace = ['-A'];
      continue;
    }
    const eq = a.indexOf('=');
    if (a.startsWith('--namespace=')) {
      namespace = ['-n', a.slice(eq + 1)];
      continue;
    }
    if (a === '-n' || a === '--namespace') {
      namespace = ['-n', args[i + 1] ?? ''];
      i++;
      continue;
    }
    if (a.startsWith('-')) {
      if (eq < 0 && FLAGS_WITH_VALUE.has(a)) i++;
      continue;
    }
    positional.push(a);
  }
  const [verb, ...after] = positional;
  if (verb === undefined || (verb !== 'rollout' && !NAMING_VERBS.has(verb))) return undefined;
  // `rollout <subcommand> <kind/name>`: the object comes after the subcommand.
  const rest = verb === 'rollout' ? after.slice(1) : after;
  if (rest.length === 0) return undefined;
  // `kind name…` or `kind/name…`; a bare kind with no name (delete pods --all) names nothing to read back.
  if (!rest[0]!.includes('/') && rest.length === 1) return undefined;
  return { targets: rest, namespace };
}
