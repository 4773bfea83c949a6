// Dependency rules (docs/ARCHITECTURE.md, "Dependency rules"): each layer imports only what its row allows.
// Every component reaches cluster state through the API, never through storage or the API server's internals.
const comp = '(controllers|scheduler|kubelet|proxy|dns|operators|agent|ingress|metricsserver|custommetrics|deploy)';
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true, viaOnly: { pathNot: '\\.test\\.ts$' } } },
    { name: 'base-is-domain-free', severity: 'error', from: { path: '^src/base/' }, to: { path: '^src/(?!base/)' } },
    { name: 'api-only-base', severity: 'error', from: { path: '^src/api/' }, to: { path: '^src/(?!base/|api/)' } },
    { name: 'storage-knows-no-api', severity: 'error', from: { path: '^src/storage/' }, to: { path: '^src/(?!base/|storage/)' } },
    { name: 'pki-only-base', severity: 'error', from: { path: '^src/pki/' }, to: { path: '^src/(?!base/|pki/)' } },
    { name: 'apiserver-no-components', severity: 'error', from: { path: '^src/apiserver/' }, to: { path: `^src/(client|${comp}|boot|cli)/` } },
    { name: 'client-http-only', severity: 'error', from: { path: '^src/client/' }, to: { path: '^src/(apiserver|storage|boot|cli)/' } },
    { name: 'components-through-api', severity: 'error', from: { path: `^src/${comp}/` }, to: { path: '^src/(apiserver|storage|boot|cli)/' } },
    {
      // The generic controller machinery (work-queue Controller, Reconciler contract) is shared: operators build on it.
      name: 'components-not-each-other', severity: 'error',
      from: { path: `^src/${comp}/` }, to: { path: `^src/${comp}/`, pathNot: ['^src/$1/', '^src/controllers/(controller|reconciler)\\.ts$'] },
    },
    // The operator SDK is a library for components: API client, base and the core Controller only. Its test
    // harness (src/sdk/testing/) starts an API server, which only boot/ may compose.
    { name: 'sdk-through-api', severity: 'error', from: { path: '^src/sdk/', pathNot: '^src/sdk/testing/' }, to: { path: '^src/(apiserver|storage|boot|cli)/' } },
    { name: 'sdk-testing-through-boot', severity: 'error', from: { path: '^src/sdk/testing/' }, to: { path: '^src/(apiserver|storage|cli)/' } },
    {
      name: 'sdk-only-core-controller', severity: 'error',
      from: { path: '^src/sdk/' }, to: { path: `^src/${comp}/`, pathNot: '^src/controllers/(controller|reconciler)\\.ts$' },
    },
    { name: 'cli-through-boot', severity: 'error', from: { path: '^src/cli/' }, to: { path: `^src/(apiserver|storage|${comp})/` } },
    { name: 'not-to-test-from-prod', severity: 'error', from: { pathNot: '(\\.test\\.ts$|^test/|/testing/)' }, to: { path: '(\\.test\\.ts$|^test/|/testing/)' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
