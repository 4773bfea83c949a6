import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeFieldValue, FieldSelectorParseError, parseFieldSelector, unsupportedField } from './fields.js';

describe('parseFieldSelector()', () => {
  it('matches =, == and !=', () => {
    const sel = parseFieldSelector('spec.nodeName=n1,status.phase!=Running,metadata.name==p');
    assert.equal(sel.matches({ 'spec.nodeName': 'n1', 'status.phase': 'Pending', 'metadata.name': 'p' }), true);
    assert.equal(sel.matches({ 'spec.nodeName': 'n1', 'status.phase': 'Running', 'metadata.name': 'p' }), false);
  });
  it('reads a missing field as the empty string', () => {
    assert.equal(parseFieldSelector('spec.nodeName=').matches({}), true);
    assert.equal(parseFieldSelector('spec.nodeName!=').matches({}), false);
  });
  it('unescapes values and round-trips', () => {
    const sel = parseFieldSelector('a=x\\,y\\=z\\\\');
    assert.equal(sel.matches({ a: 'x,y=z\\' }), true);
    assert.equal(sel.toString(), 'a=x\\,y\\=z\\\\');
    assert.equal(escapeFieldValue('a,b'), 'a\\,b');
  });
  it('pins exact matches', () => {
    assert.equal(parseFieldSelector('spec.nodeName=n1').requiresExactMatch('spec.nodeName'), 'n1');
    assert.equal(parseFieldSelector('spec.nodeName!=n1').requiresExactMatch('spec.nodeName'), undefined);
  });
  it('rejects terms without operators with upstream text', () => {
    assert.throws(() => parseFieldSelector('a=b,c'), (e: unknown) => e instanceof FieldSelectorParseError && e.message === "invalid selector: 'a=b,c'; can't understand 'c'");
    assert.throws(() => parseFieldSelector('a=b=c'), (e: unknown) => e instanceof Error && e.message === 'invalid field selector: unescaped character in value: 61');
    assert.throws(() => parseFieldSelector('a=b\\q'), (e: unknown) => e instanceof Error && e.message === 'invalid field selector: invalid escape sequence: \\q');
  });
  it('finds unsupported fields', () => {
    assert.equal(unsupportedField(parseFieldSelector('spec.x=1'), new Set(['metadata.name'])), 'spec.x');
    assert.equal(unsupportedField(parseFieldSelector('metadata.name=1'), new Set(['metadata.name'])), undefined);
  });
});
