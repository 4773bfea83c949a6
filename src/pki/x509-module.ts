/**
 * x509: the @peculiar/x509 package (with reflect-metadata, which its tsyringe dependency needs first), loaded on
 * first use. Loading it and its asn1 dependencies costs a few hundred ms of CPU; the server needs it at every start
 * (it loads the CA and issues certificates), but the CLI commands that only start or talk to a server (`up`,
 * `status`, `token`, `version`, …) never touch it. It is a CommonJS package, so a synchronous require on first use
 * keeps every caller synchronous (CSR parsing runs in API validation).
 */
import { webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';

type X509Module = typeof import('@peculiar/x509');

const requireModule = createRequire(import.meta.url);
let loaded: X509Module | undefined;

function load(): X509Module {
  if (!loaded) {
    requireModule('reflect-metadata');
    const mod = requireModule('@peculiar/x509') as X509Module;
    mod.cryptoProvider.set(webcrypto as unknown as Parameters<X509Module['cryptoProvider']['set']>[0]);
    loaded = mod;
  }
  return loaded;
}

/** x509 stands for the package: the first property read loads it. */
export const x509: X509Module = new Proxy({} as X509Module, {
  get: (_target, key) => load()[key as keyof X509Module],
});
