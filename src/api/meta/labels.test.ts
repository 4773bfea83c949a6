import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatLabelSelectorObject,
  formatLabels,
  isQualifiedName,
  isValidLabelValue,
  labelSelectorFromObject,
  LabelSelectorParseError,
  parseLabelSelector,
} from './labels.js';

describe('parseLabelSelector()', () => {
  it('matches every operator of the string form', () => {
    const sel = parseLabelSelector('a=b,c!=d,e in (x,y),f notin (z),g,!h');
    assert.equal(sel.matches({ a: 'b', e: 'x', g: '' }), true);
    assert.equal(sel.matches({ a: 'b', e: 'x', g: '', h: '1' }), false);
    assert.equal(sel.matches({ a: 'b', e: 'x', g: '', c: 'd' }), false);
    assert.equal(sel.matches({ a: 'b', e: 'q', g: '' }), false);
    assert.equal(sel.matches({ a: 'b', e: 'y', g: '', f: 'z' }), false);
    assert.equal(sel.matches({ a: 'b', e: 'y' }), false);
  });
  it('treats == like = and supports gt/lt', () => {
    assert.equal(parseLabelSelector('a==b').matches({ a: 'b' }), true);
    assert.equal(parseLabelSelector('n>3').matches({ n: '4' }), true);
    assert.equal(parseLabelSelector('n<3').matches({ n: '4' }), false);
  });
  it('selects everything for the empty string and tolerates spaces', () => {
    assert.equal(parseLabelSelector('').empty(), true);
    assert.equal(parseLabelSelector('  app = web , tier in ( a , b )').matches({ app: 'web', tier: 'b' }), true);
  });
  it('canonicalises the string form sorted by key', () => {
    assert.equal(parseLabelSelector('z=1,a in (y,x),!b').toString(), 'a in (x,y),!b,z=1');
  });
  it('accepts an empty value after =', () => {
    assert.equal(parseLabelSelector('a=').matches({ a: '' }), true);
  });
  const bad: [string, string][] = [
    ['a=b,', "found '', expected: identifier after ','"],
    ['=b', "found '=', expected: !, identifier, or 'end of string'"],
    ['a in x', "unable to parse requirement: found 'x' expected: '('"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
  ];
  for (const [input, msg] of bad) {
    it(`rejects ${JSON.stringify(input)} with upstream's message`, () => {
      assert.throws(() => parseLabelSelector(input), (e: unknown) => e instanceof LabelSelectorParseError && e.message === msg);
    });
  }
  it('reports invalid values by path', () => {
    assert.throws(
      () => parseLabelSelector('app=a b'),
      (e: unknown) => e instanceof Error && e.message.startsWith("found 'b', expected: ',' or 'end of string'"),
    );
    assert.throws(
      () => parseLabelSelector('app=-x'),
      (e: unknown) => e instanceof Error && e.message.startsWith('unable to parse requirement: values[0][app]: Invalid value: "-x": a valid label must be'),
    );
    assert.throws(
      () => parseLabelSelector('-x=1'),
      (e: unknown) => e instanceof Error && e.message.startsWith('unable to parse requirement: <nil>: Invalid value: "-x": name part must consist of'),
    );
  });
});

describe('labelSelectorFromObject()', () => {
  it('combines matchLabels and matchExpressions', () => {
    const sel = labelSelectorFromObject({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'x', operator: 'DoesNotExist' }] });
    assert.equal(sel.matches({ app: 'web', tier: 'a' }), true);
    assert.equal(sel.matches({ app: 'web', tier: 'a', x: '' }), false);
    assert.equal(sel.toString(), 'app=web,tier in (a,b),!x');
  });
  it('selects nothing for a missing selector and everything for an empty one', () => {
    assert.equal(labelSelectorFromObject(undefined).matches({}), false);
    assert.equal(labelSelectorFromObject({}).matches({ a: 'b' }), true);
  });
  it('rejects unknown operators', () => {
    assert.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), LabelSelectorParseError);
  });
  it('formats like kubectl', () => {
    assert.equal(formatLabelSelectorObject({}), '<none>');
    assert.equal(formatLabelSelectorObject({ matchLabels: { b: '2', a: '1' } }), 'a=1,b=2');
    assert.equal(formatLabels({}), '<none>');
    assert.equal(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
  });
});

describe('label syntax', () => {
  it('accepts qualified names with prefixes', () => {
    assert.deepEqual(isQualifiedName('app'), []);
    assert.deepEqual(isQualifiedName('example.com/My_Name.1'), []);
  });
  it('rejects bad keys with upstream texts', () => {
    assert.deepEqual(isQualifiedName('/a'), ['prefix part must be non-empty']);
    assert.equal(isQualifiedName('a/b/c')[0]?.startsWith('a qualified name must consist of'), true);
    assert.equal(isQualifiedName('x'.repeat(64))[0], 'name part must be no more than 63 characters');
    assert.equal(
      isQualifiedName('-a')[0],
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
    assert.equal(isQualifiedName('Bad_Prefix/a')[0]?.startsWith('prefix part a lowercase RFC 1123 subdomain'), true);
  });
  it('checks values', () => {
    assert.deepEqual(isValidLabelValue(''), []);
    assert.deepEqual(isValidLabelValue('v1.2_x'), []);
    assert.equal(isValidLabelValue('x'.repeat(64))[0], 'must be no more than 63 characters');
    assert.equal(isValidLabelValue('a b').length, 1);
  });
});
