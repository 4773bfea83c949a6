import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateHeaderValue } from 'node:http';
import { warningHeader } from './object-response.js';

describe('warningHeader', () => {
  it('renders any text as a header value Node accepts, UTF-8 on the wire', () => {
    for (const text of ['unknown field "a\uFFFDb"', 'del \x7f', 'ctl \u0001\r\n', 'lone \ud800', 'plain']) {
      const v = warningHeader(text);
      assert.doesNotThrow(() => validateHeaderValue('Warning', v), text);
      assert.ok(v.startsWith('299 - "'));
    }
    const v = warningHeader('é\uFFFD');
    assert.equal(Buffer.from(v, 'latin1').toString('utf8'), '299 - "é\uFFFD"');
  });
});
