/**
 * RegistriesConfig: where the node pulls images from and with which credentials, in the shape of k3s's
 * `registries.yaml` so that users who have one can reuse it:
 *
 *   mirrors:
 *     docker.io:
 *       endpoint: ["http://10.0.0.5:5000", "https://mirror.example"]
 *     "*":                       # every registry without its own entry
 *       endpoint: ["http://cache.local:5000"]
 *   configs:
 *     "10.0.0.5:5000":
 *       auth: { username: u, password: p }     # or auth: <base64 user:pass>, identity_token, token
 *       tls: { ca_file: /path/ca.pem, insecure_skip_verify: false }
 *
 * Contracts:
 *  - `endpointsFor(registry)` lists the mirrors first (in the file's order), then the registry itself, so a pull
 *    falls through to the upstream registry when every mirror fails, as containerd does — unless
 *    `disableDefaultEndpoint` is set and the registry has a mirror entry (k3s's
 *    `--disable-default-registry-endpoint`): then only its mirrors are used, none at all for `endpoint: []`,
 *    which keeps an air-gapped node from ever dialing out.
 *  - A registry on a loopback address or named `localhost` is spoken to over plain HTTP (what users run as a
 *    local registry); every other default endpoint is HTTPS. Mirror endpoints say their scheme.
 *  - Parse failures are one plain line naming the file and the problem.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { AuthConfig } from '../cri/image-service.js';

/** RegistryTls is how to verify a registry's certificate. */
export interface RegistryTls {
  /** PEM of the CA that signs the registry's certificate (in addition to the system roots). */
  readonly caPem?: string;
  readonly insecureSkipVerify?: boolean;
}

/** RegistryEndpoint is one base URL to try for a registry, with its credentials and TLS settings. */
export interface RegistryEndpoint {
  /** `http://host:port` or `https://host[:port]`, no trailing slash. */
  readonly url: string;
  readonly auth?: AuthConfig;
  readonly tls?: RegistryTls;
}

/** RegistriesConfig answers which endpoints serve a registry. */
export interface RegistriesConfig {
  endpointsFor(registry: string): RegistryEndpoint[];
}

interface RawFile {
  mirrors?: Record<string, { endpoint?: string[] } | null> | null;
  configs?: Record<string, { auth?: { username?: string; password?: string; auth?: string; identity_token?: string; token?: string } | null; tls?: { ca_file?: string; insecure_skip_verify?: boolean } | null } | null> | null;
}

/** isLocalRegistry says whether a registry host is on this machine (served over plain HTTP by default). */
export function isLocalRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** defaultEndpoint is the URL a registry is reached at without configuration. */
function defaultEndpoint(registry: string): string {
  // docker.io's API lives on its registry-1 host, as every client knows.
  const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
  return `${isLocalRegistry(registry) ? 'http' : 'https'}://${host}`;
}

/** hostOf turns an endpoint URL or a bare host into the `host[:port]` that keys `configs`. */
function hostOf(urlOrHost: string): string {
  try {
    return new URL(urlOrHost.includes('://') ? urlOrHost : `https://${urlOrHost}`).host;
  } catch {
    return urlOrHost;
  }
}

/** parseRegistriesConfig reads a registries.yaml text; `source` names it in errors. */
export function parseRegistriesConfig(
  text: string,
  source: string,
  options: { disableDefaultEndpoint?: boolean; readCa?: (path: string) => string } = {},
): RegistriesConfig {
  const readCa = options.readCa ?? ((p: string): string => readFileSync(p, 'utf8'));
  let raw: RawFile;
  try {
    raw = (parseYaml(text) ?? {}) as RawFile;
  } catch (err) {
    throw new Error(`Cannot read registries config ${source}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`Cannot read registries config ${source}: it is not a mapping with "mirrors" and "configs"`);
  const settings = new Map<string, { auth?: AuthConfig; tls?: RegistryTls }>();
  for (const [host, c] of Object.entries(raw.configs ?? {})) {
    const a = c?.auth;
    const auth: AuthConfig | undefined = a ? { ...(a.username ? { username: a.username } : {}), ...(a.password ? { password: a.password } : {}), ...(a.auth ? { auth: a.auth } : {}), ...(a.identity_token ? { identityToken: a.identity_token } : {}), ...(a.token ? { registryToken: a.token } : {}) } : undefined;
    let tls: RegistryTls | undefined;
    if (c?.tls) {
      let caPem: string | undefined;
      if (c.tls.ca_file) {
        try {
          caPem = readCa(c.tls.ca_file);
        } catch (err) {
          throw new Error(`Cannot read registries config ${source}: ca_file of "${host}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
      }
      tls = { ...(caPem ? { caPem } : {}), ...(c.tls.insecure_skip_verify ? { insecureSkipVerify: true } : {}) };
    }
    settings.set(hostOf(host), { ...(auth ? { auth } : {}), ...(tls ? { tls } : {}) });
  }
  const mirrors = new Map<string, string[]>();
  for (const [registry, m] of Object.entries(raw.mirrors ?? {})) {
    const endpoints = m?.endpoint ?? [];
    if (!Array.isArray(endpoints) || endpoints.some((e) => typeof e !== 'string')) throw new Error(`Cannot read registries config ${source}: mirrors."${registry}".endpoint must be a list of URLs`);
    for (const e of endpoints) {
      try {
        const u = new URL(e);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      } catch {
        throw new Error(`Cannot read registries config ${source}: mirror endpoint "${e}" of "${registry}" is not an http(s) URL`);
      }
    }
    mirrors.set(registry === '*' ? '*' : registry, endpoints.map((e) => e.replace(/\/+$/, '').replace(/\/v2$/, '')));
  }
  return {
    endpointsFor(registry: string): RegistryEndpoint[] {
      const own = mirrors.get(registry) ?? mirrors.get('*');
      const urls = [...(own ?? []), ...(own && options.disableDefaultEndpoint ? [] : [defaultEndpoint(registry)])];
      return [...new Set(urls)].map((url) => ({ url, ...(settings.get(hostOf(url)) ?? {}) }));
    },
  };
}

/** noRegistriesConfig is the configuration of a node without a registries file. */
export const noRegistriesConfig: RegistriesConfig = parseRegistriesConfig('{}', '(none)');
