/**
 * A stand-in server for components-process.test.ts: it supervises one child (components-child-fixture.ts), prints
 * the child's pid, then idles until it is killed — so the test can kill a parent and watch its child.
 */
import { fileURLToPath } from 'node:url';
import { newLogger } from '../../base/log/logger.js';
import { ComponentsProcess } from '../components-process.js';

const supervisor = new ComponentsProcess({
  config: { connection: { server: 'https://127.0.0.1:1' }, identity: 'fixture', timing: {} },
  entry: fileURLToPath(new URL('./components-child-fixture.ts', import.meta.url)),
  log: newLogger('fixture'),
});
await supervisor.start();
process.stdout.write(`${supervisor.pid ?? ''}\n`);
setInterval(() => undefined, 60_000);
