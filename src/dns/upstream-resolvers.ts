/**
 * Which resolvers the cluster DNS server forwards names outside the cluster domain to: the host's
 * /etc/resolv.conf nameservers, minus the cluster DNS address itself (a node whose resolv.conf points at the
 * cluster DNS would otherwise forward to itself in a loop).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** Upstream is one resolver address. */
export interface Upstream {
  readonly host: string;
  readonly port: number;
}

/** parseNameservers reads the `nameserver` lines of resolv.conf text. */
export function parseNameservers(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const [key, value] = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    // A zone index (fe80::1%eth0) is kept: dgram accepts it.
    if (key === 'nameserver' && value && isIP(value.split('%')[0] ?? '') !== 0) out.push(value);
  }
  return out;
}

/**
 * hostUpstreams: the host's resolvers on port 53, skipping `exclude` (the cluster DNS IP and the server's own
 * listening address). Empty when the file cannot be read; the server then answers SERVFAIL for outside names.
 */
export function hostUpstreams(exclude: readonly string[], path = '/etc/resolv.conf'): Upstream[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const skip = new Set(exclude);
  return parseNameservers(text)
    .filter((s) => !skip.has(s))
    .map((host) => ({ host, port: 53 }));
}
