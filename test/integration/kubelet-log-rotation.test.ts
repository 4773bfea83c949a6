/**
 * Container log rotation on a real runc node: a pod printing fast with `--container-log-max-size 64Ki
 * --container-log-max-files 4` (checked every second instead of 10 s) gets its log rotated — upstream's
 * `0.log.<YYYYMMDD-HHMMSS>` names, older rotated files gzip-compressed, never more than 4 files — while the
 * container keeps writing to a fresh `0.log`; `kubectl logs --tail=5` still answers with the newest lines and a
 * followed log (`follow=true`) runs on across rotations without a gap.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerHostMissing } from '../harness/host-tools.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();

/** logDir finds the directory of a container's log files under the node's pod log root. */
function logDir(dataDir: string, pod: string, container: string): string | undefined {
  const root = join(dataDir, 'agent', 'pods');
  if (!existsSync(root)) return undefined;
  const podDir = readdirSync(root).find((d) => d.startsWith(`default_${pod}_`));
  return podDir && existsSync(join(root, podDir, container)) ? join(root, podDir, container) : undefined;
}

/** lineNumbers reads the counters of `line <n> ...` output. */
function lineNumbers(text: string): number[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => Number(/^line (\d+) /.exec(l)?.[1] ?? NaN));
}

void describe('container log rotation', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-logrot-${process.pid}`;
  before(async () => {
    c = await TestCluster.start({
      agent: true,
      args: ['--container-runtime', 'runc', '--node-name', node, '--container-log-max-size', '64Ki', '--container-log-max-files', '4', '--container-log-monitor-interval', '1s'],
    });
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    await cleanupRuncNode(c);
  });

  void it('rotates a fast log, keeps the count bounded, and logs still read and follow', async () => {
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    // About 50 KB/s: a rotation every second or two.
    const script = 'i=0; while true; do echo "line $i $(printf %0100d 0)"; i=$((i+1)); [ $((i % 20)) -eq 0 ] && usleep 40000; done';
    await c.kubectlOk(['run', 'chatty', '--image=busybox', '--', 'sh', '-c', script]);
    await eventually(async () => (await c.kubectlOk(['get', 'pod', 'chatty', '-o', 'jsonpath={.status.phase}'])) === 'Running', 60_000);
    const dir = await eventually(() => logDir(c.dataDir, 'chatty', 'chatty'), 10_000);

    // Follow from now on, through the rotations to come.
    const followed = await c.stream('/api/v1/namespaces/default/pods/chatty/log?follow=true&tailLines=1');
    let followedText = '';
    followed.setEncoding('utf8');
    followed.on('data', (chunk: string) => (followedText += chunk));

    const seen = new Set<string>();
    let most: string[] = [];
    await eventually(
      () => {
        // Log files only; a `.gz.tmp` is a compression under way.
        const names = readdirSync(dir).filter((n) => n.startsWith('0.log') && !n.endsWith('.tmp'));
        if (names.length > most.length) most = names;
        for (const n of names) seen.add(n);
        return names.some((n) => /^0\.log\.\d{8}-\d{6}(-\d+)?\.gz$/.test(n)) && [...seen].filter((n) => n !== '0.log').length >= 4 ? true : undefined;
      },
      60_000,
      100,
    );
    assert.ok(most.length <= 4, `at most 4 log files, got ${most.join(' ')}`);
    for (const n of seen) assert.match(n, /^0\.log(\.\d{8}-\d{6}(-\d+)?(\.gz)?)?$/);
    assert.ok(existsSync(join(dir, '0.log')), 'a fresh 0.log');

    // --tail reads the newest lines; the container keeps writing after rotations.
    const tail = lineNumbers(await c.kubectlOk(['logs', 'chatty', '--tail=5']));
    assert.equal(tail.length, 5);
    for (let i = 1; i < tail.length; i++) assert.equal(tail[i], (tail[i - 1] ?? 0) + 1);
    await eventually(async () => (lineNumbers(await c.kubectlOk(['logs', 'chatty', '--tail=1']))[0] ?? 0) > (tail[4] ?? 0), 20_000);

    // The followed stream saw every line, across the rotations, in order.
    followed.destroy();
    const got = lineNumbers(followedText.slice(0, followedText.lastIndexOf('\n') + 1));
    assert.ok(got.length > 1000, `followed ${got.length} lines (HTTP ${followed.statusCode}): ${followedText.slice(0, 300)}`);
    for (let i = 1; i < got.length; i++) assert.equal(got[i], (got[i - 1] ?? 0) + 1, `line ${got[i - 1]} is followed by ${got[i]}`);
  });
});
