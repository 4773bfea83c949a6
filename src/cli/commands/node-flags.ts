/**
 * The node flags `tkube server` and `tkube agent` share (as k3s's): `--node-label key=value` and `--node-taint
 * key[=value]:Effect`, each repeatable and comma-separated. A malformed one is a CliError naming the flag's shape.
 * Labels are applied whenever the node registers (a restart puts them back); taints only when it is first created,
 * as the kubelet's `--register-with-taints` does, so taints removed by hand stay removed.
 */
import { CliError } from '../cli-error.js';

/** NodeTaint is one `spec.taints` entry. */
export interface NodeTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

/** A qualified name's syntax (labels and taint keys), with an optional DNS subdomain prefix. */
const KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** parseNodeTaint reads `key[=value]:Effect`. */
export function parseNodeTaint(s: string): NodeTaint {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(s);
  if (!m || !KEY.test(m[1] ?? '') || !VALUE.test(m[2] ?? '')) throw new CliError(`invalid taint "${s}": want key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
  return { key: m[1] ?? '', ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3] ?? '' };
}

/** parseNodeLabels reads `key=value` items into a map (a later key wins). */
export function parseNodeLabels(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (eq <= 0 || !KEY.test(key) || !VALUE.test(value)) throw new CliError(`invalid label "${item}": want key=value (a label key and value)`);
    out[key] = value;
  }
  return out;
}
