import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BUSYBOX_PATH } from './builtin-images.js';
import { OciImageStore } from './oci-image-store.js';
import { addStandInImages } from './stand-in-images.js';

const skip = existsSync(BUSYBOX_PATH) ? false : `needs ${BUSYBOX_PATH} (busybox-static)`;
const dir = mkdtempSync(join(tmpdir(), 'tkube-standins-'));
after(() => rmSync(dir, { recursive: true, force: true }));

void describe('stand-in images', { skip }, () => {
  void it("tags each stand-in under the guides' names, with its entrypoint, working dir and scripts", async () => {
    const store = new OciImageStore({ root: join(dir, 'store') });
    const first = await addStandInImages(store);
    const again = await addStandInImages(store);
    assert.deepEqual(again.map((i) => i.image.id), first.map((i) => i.image.id), 'deterministic layers: the same image IDs');
    const jenkins = await store.unpacked('jenkins');
    assert.ok(jenkins);
    assert.deepEqual(jenkins.config.entrypoint, ['/usr/local/bin/jenkins.sh']);
    assert.deepEqual(jenkins.config.exposedPorts, ['8080/tcp']);
    assert.equal(jenkins.layerDirs.length, 2);
    assert.equal(statSync(join(jenkins.layerDirs[1]!, 'usr/local/bin/jenkins.sh')).mode & 0o777, 0o755);
    const worker = await store.unpacked('workbinder/worker');
    assert.equal(worker?.config.workingDir, '/opt/workbinder');
    for (const ref of ['k8s.gcr.io/echoserver:1.4', 'registry.k8s.io/echoserver:1.4']) assert.ok(await store.imageStatus(ref), ref);
  });

  void it('the echo server prints the request back in echoserver layout, with a right Content-Length', async () => {
    const echo = await new OciImageStore({ root: join(dir, 'store') }).unpacked('k8s.gcr.io/echoserver:1.4');
    assert.ok(echo);
    const handler = join(echo.layerDirs[1]!, 'usr/local/bin/echo-handler.sh');
    const out = execFileSync(BUSYBOX_PATH, ['sh', handler], { input: 'GET /hello?x=1 HTTP/1.1\r\nHost: 10.0.0.1:31000\r\nUser-Agent: t\r\n\r\n' });
    const [head, body] = out.toString('latin1').split('\r\n\r\n');
    assert.match(head ?? '', /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(Number(/Content-Length: (\d+)/.exec(head ?? '')?.[1]), Buffer.byteLength(body ?? '', 'latin1'));
    assert.match(body ?? '', /^CLIENT VALUES:\nclient_address=unknown\ncommand=GET\nreal path=\/hello\nquery=x=1\nrequest_version=1\.1\nrequest_uri=http:\/\/10\.0\.0\.1:31000\/hello\?x=1\n\nSERVER VALUES:\n/);
    assert.match(body ?? '', /\nHEADERS RECEIVED:\nHost: 10\.0\.0\.1:31000\nUser-Agent: t\nBODY:\n-no body in request-\n$/);
  });
});
