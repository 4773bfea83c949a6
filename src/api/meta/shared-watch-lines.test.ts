import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { offerWatchLine, SHARED_WATCH_LINES, sharedWatchEvent } from './shared-watch-lines.js';

function lineOf(type: string, obj: { metadata: { resourceVersion: string } }): Buffer {
  return Buffer.from(`${JSON.stringify({ type, object: obj })}\n`);
}

void describe('shared watch lines', () => {
  void it('a line offered by the server gives back its object itself; the same line once more too', () => {
    const obj = { kind: 'Pod', metadata: { resourceVersion: '101', name: 'a' }, spec: { nodeName: 'n1' } };
    const line = lineOf('MODIFIED', obj);
    offerWatchLine('MODIFIED', '101', line, obj);
    const text = line.toString('utf8').trimEnd();
    assert.equal(sharedWatchEvent(text)?.object, obj);
    assert.equal(sharedWatchEvent(text)?.type, 'MODIFIED');
  });

  void it('a line that differs in any byte, or in type, is not taken for the offered one (the caller parses it)', () => {
    const obj = { kind: 'Pod', metadata: { resourceVersion: '102', name: 'b' } };
    offerWatchLine('ADDED', '102', lineOf('ADDED', obj), obj);
    assert.equal(sharedWatchEvent(JSON.stringify({ type: 'ADDED', object: { ...obj, extra: 1 } })), undefined);
    assert.equal(sharedWatchEvent(JSON.stringify({ type: 'MODIFIED', object: obj })), undefined);
    assert.equal(sharedWatchEvent('not json'), undefined);
    assert.equal(sharedWatchEvent(JSON.stringify({ type: 'ADDED', object: { kind: 'Pod', metadata: { name: 'b' } } })), undefined);
  });

  void it('only the latest lines are remembered (no object is kept alive for long)', () => {
    const first = { metadata: { resourceVersion: '5000' } };
    const text = lineOf('ADDED', first);
    offerWatchLine('ADDED', '5000', text, first);
    for (let i = 0; i < SHARED_WATCH_LINES; i++) {
      const o = { metadata: { resourceVersion: String(6000 + i) } };
      offerWatchLine('ADDED', String(6000 + i), lineOf('ADDED', o), o);
    }
    assert.equal(sharedWatchEvent(text.toString('utf8').trimEnd()), undefined);
  });
});
