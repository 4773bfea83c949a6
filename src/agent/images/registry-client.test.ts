/**
 * RegistryClient against RegistryServer (both ours, on loopback): a node pulls from another node's store by tag,
 * by digest and through a mirror; Basic and Bearer authentication; missing images, unreachable endpoints and
 * corrupt blobs fail with the right kind; image GC's pruneBlobs frees what removed images held.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ImagePullError } from '../cri/image-service.js';
import { BUSYBOX_PATH, ensureBuiltinImages } from './builtin-images.js';
import { OciImageStore } from './oci-image-store.js';
import { parseRegistriesConfig } from './registries-config.js';
import { RegistryClient } from './registry-client.js';
import { RegistryServer } from './registry-server.js';

void describe('RegistryClient and RegistryServer', { skip: existsSync(BUSYBOX_PATH) ? false : `${BUSYBOX_PATH} is missing (busybox-static)` }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tkube-registry-'));
  let source: OciImageStore;
  let server: RegistryServer;
  let url = '';
  let host = '';
  let busyboxId = '';
  const stores: string[] = [];
  const storeWith = (yaml: string): OciImageStore => {
    const root = join(dir, `store-${stores.length}`);
    stores.push(root);
    return new OciImageStore({ root, registry: new RegistryClient({ registries: parseRegistriesConfig(yaml, 'test') }) });
  };

  before(async () => {
    source = new OciImageStore({ root: join(dir, 'source') });
    busyboxId = (await ensureBuiltinImages(source)).find((i) => i.repoTags.includes('docker.io/library/busybox:latest'))?.id ?? '';
    server = new RegistryServer({ store: source });
    url = await server.start();
    host = new URL(url).host;
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('pulls by tag and by digest, keeping the manifest byte for byte', async () => {
    const node = storeWith('{}');
    const id = await node.pullImage(`${host}/library/busybox:1.36`);
    assert.equal(id, busyboxId);
    const image = await node.imageStatus(`${host}/library/busybox:1.36`);
    const digest = /@(sha256:[a-f0-9]{64})$/.exec(image?.repoDigests[0] ?? '')?.[1] ?? '';
    assert.equal(digest, source.manifestFor('library/busybox', '1.36')?.digest);
    assert.equal(await node.pullImage(`${host}/library/busybox@${digest}`), busyboxId);
    const unpacked = await node.unpacked(`${host}/library/busybox:1.36`);
    assert.ok(unpacked && existsSync(join(unpacked.layerDirs[0] ?? '', 'bin', 'busybox')));
    assert.ok(node.lastUsed(busyboxId) !== undefined, 'unpacking records a use for image GC');
  });

  void it('pulls through a mirror named in the registries config', async () => {
    const node = storeWith(`mirrors:\n  docker.io:\n    endpoint: ["${url}"]\n`);
    assert.equal(await node.pullImage('busybox:1.35'), busyboxId);
  });

  void it('answers missing images, unreachable registries and bad references with the right kind', async () => {
    const node = storeWith('{}');
    await assert.rejects(node.pullImage(`${host}/library/nothing:1`), (e) => e instanceof ImagePullError && e.kind === 'NotFound' && /not found/.test(e.message));
    const offline = new OciImageStore({ root: join(dir, 'offline'), registry: new RegistryClient({ registries: { endpointsFor: () => [{ url: 'http://127.0.0.1:1' }] } }) });
    await assert.rejects(offline.pullImage('busybox'), (e) => e instanceof ImagePullError && e.kind === 'Unreachable');
    // The endpoint is remembered as down for a while: the next pull fails the same way without dialing.
    await assert.rejects(offline.pullImage('busybox:1.36'), (e) => e instanceof ImagePullError && e.kind === 'Unreachable');
    await assert.rejects(node.pullImage('UPPER/case'), (e) => e instanceof ImagePullError && e.kind === 'Invalid');
  });

  void it('refuses a blob whose content does not match its digest, storing nothing', async () => {
    const node = storeWith('{}');
    const digest = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(node.putBlob(digest, Readable.from([Buffer.from('not it')])), /arrived with digest/);
    assert.equal(node.hasBlob(digest), false);
    assert.deepEqual(readdirSync(join(stores.at(-1) ?? '', 'blobs', 'sha256')).filter((f) => f.endsWith('.tmp')), []);
  });

  void it('answers Basic and Bearer challenges with the configured credentials', async () => {
    const locked = new RegistryServer({ store: source, basicAuth: { username: 'ci', password: 's3cret' } });
    const lockedUrl = await locked.start();
    const lockedHost = new URL(lockedUrl).host;
    try {
      await assert.rejects(storeWith('{}').pullImage(`${lockedHost}/library/busybox:latest`), (e) => e instanceof ImagePullError && e.kind === 'Unauthorized');
      const withConfig = storeWith(`configs:\n  "${lockedHost}":\n    auth: { username: ci, password: s3cret }\n`);
      assert.equal(await withConfig.pullImage(`${lockedHost}/library/busybox:latest`), busyboxId);
      // Credentials given with the pull (an imagePullSecret) win over none configured.
      assert.equal(await storeWith('{}').pullImage(`${lockedHost}/library/busybox:latest`, { username: 'ci', password: 's3cret' }), busyboxId);
    } finally {
      await locked.stop();
    }
    // Bearer: a token service hands out a token for Basic credentials; the registry accepts only that token.
    const bearer: Server = createServer((req, res) => {
      if (req.url?.startsWith('/token')) {
        const ok = req.headers.authorization === `Basic ${Buffer.from('ci:tok').toString('base64')}` && /scope=repository%3Alibrary%2Fbusybox%3Apull/.test(req.url);
        res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' });
        res.end(ok ? '{"token":"T0KEN"}' : '{}');
        return;
      }
      if (req.headers.authorization !== 'Bearer T0KEN') {
        const port = (bearer.address() as { port: number }).port;
        res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="test"` });
        res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      const up = request(`${url}${req.url ?? ''}`, { method: req.method, headers: { accept: req.headers.accept ?? '' } }, (r) => {
        res.writeHead(r.statusCode ?? 500, r.headers);
        r.pipe(res);
      });
      up.end();
    });
    await new Promise<void>((resolve) => bearer.listen(0, '127.0.0.1', resolve));
    const bearerHost = `127.0.0.1:${(bearer.address() as { port: number }).port}`;
    try {
      assert.equal(await storeWith('{}').pullImage(`${bearerHost}/library/busybox:latest`, { username: 'ci', password: 'tok' }), busyboxId);
      await assert.rejects(storeWith('{}').pullImage(`${bearerHost}/library/busybox:latest`, { username: 'ci', password: 'wrong' }), (e) => e instanceof ImagePullError && e.kind === 'Unauthorized');
    } finally {
      bearer.closeAllConnections();
      await new Promise<void>((resolve) => bearer.close(() => resolve()));
    }
  });

  void it('frees the blobs and layers of removed images', async () => {
    const node = storeWith('{}');
    await node.pullImage(`${host}/library/busybox:latest`);
    await node.unpacked(`${host}/library/busybox:latest`);
    const root = stores.at(-1) ?? '';
    assert.equal(await node.pruneBlobs(), 0, 'nothing is freed while the image is there');
    await node.removeImage(busyboxId);
    assert.ok((await node.pruneBlobs()) > 1_000_000);
    assert.deepEqual(readdirSync(join(root, 'blobs', 'sha256')), []);
    assert.deepEqual(readdirSync(join(root, 'layers')), []);
    assert.equal(node.lastUsed(busyboxId), undefined);
  });

  void it('rejects registries config that is not one', () => {
    assert.throws(() => parseRegistriesConfig('mirrors: [1, 2', 'r.yaml'), /^Error: Cannot read registries config r\.yaml: /);
    assert.throws(() => parseRegistriesConfig('mirrors:\n  docker.io:\n    endpoint: ["ftp://x"]\n', 'r.yaml'), /mirror endpoint "ftp:\/\/x" of "docker.io" is not an http\(s\) URL/);
    const c = parseRegistriesConfig('mirrors:\n  "*":\n    endpoint: ["http://m:5000/v2/"]\nconfigs:\n  "m:5000":\n    auth: { username: a, password: b }\n', 'r.yaml');
    assert.deepEqual(c.endpointsFor('quay.io'), [{ url: 'http://m:5000', auth: { username: 'a', password: 'b' } }, { url: 'https://quay.io' }]);
    assert.deepEqual(c.endpointsFor('localhost:5000').at(-1), { url: 'http://localhost:5000' });
  });
});
