import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheusText, parseSampleValue } from './prometheus-text-parser.js';

void describe('parsePrometheusText()', () => {
  void it('reads counters and gauges with their declared types', () => {
    const { samples, skippedLines } = parsePrometheusText(
      '# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\nhttp_requests_total 1027\n# TYPE queue_length gauge\nqueue_length 7\nplain 3\n',
    );
    assert.deepEqual(skippedLines, []);
    assert.deepEqual(
      samples.map((s) => [s.name, s.value, s.type]),
      [
        ['http_requests_total', 1027, 'counter'],
        ['queue_length', 7, 'gauge'],
        ['plain', 3, 'untyped'],
      ],
    );
  });

  void it('keeps labels and decodes escapes in their values', () => {
    const { samples } = parsePrometheusText('msg{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb",empty="",comma="x,y}z"} 1\n');
    assert.deepEqual(samples[0]?.labels, { path: 'C:\\dir', quote: 'say "hi"', nl: 'a\nb', empty: '', comma: 'x,y}z' });
  });

  void it('accepts spaces in label sets, a trailing comma and a timestamp', () => {
    const { samples } = parsePrometheusText('m{ a = "1" , b="2", } 4.5e1 1700000000000\nn{} 2\n');
    assert.deepEqual(samples.map((s) => [s.name, s.labels, s.value, s.timestampMs]), [
      ['m', { a: '1', b: '2' }, 45, 1700000000000],
      ['n', {}, 2, undefined],
    ]);
  });

  void it('reads special values', () => {
    const { samples } = parsePrometheusText('a NaN\nb +Inf\nc -Inf\nd -0.5\ne .5\n');
    const values = samples.map((s) => s.value);
    assert.ok(Number.isNaN(values[0]));
    assert.deepEqual(values.slice(1), [Infinity, -Infinity, -0.5, 0.5]);
    assert.equal(parseSampleValue('1e3'), 1000);
    assert.equal(parseSampleValue('abc'), undefined);
  });

  void it('assigns histogram and summary series to their family', () => {
    const text = [
      '# TYPE latency_seconds histogram',
      'latency_seconds_bucket{le="0.1"} 3',
      'latency_seconds_bucket{le="+Inf"} 5',
      'latency_seconds_sum 1.2',
      'latency_seconds_count 5',
      '# TYPE rpc summary',
      'rpc{quantile="0.5"} 0.01',
      'rpc_sum 10',
      'rpc_count 100',
    ].join('\n');
    const { samples } = parsePrometheusText(text);
    assert.deepEqual(samples.map((s) => s.type), ['histogram', 'histogram', 'histogram', 'histogram', 'summary', 'summary', 'summary']);
    assert.deepEqual(samples[1]?.labels, { le: '+Inf' });
  });

  void it('ignores comments, blank lines and CRLF endings', () => {
    const { samples, skippedLines } = parsePrometheusText('# just a comment\r\n\r\n#TYPE odd\r\nx 1\r\n# EOF\r\n');
    assert.deepEqual(samples.map((s) => [s.name, s.value]), [['x', 1]]);
    assert.deepEqual(skippedLines, []);
  });

  void it('skips garbage lines and keeps the good ones', () => {
    const text = ['good 1', 'no_value', '9starts_with_digit 1', 'bad{a="unterminated} 1', 'bad{a=unquoted} 1', 'two values here 1', 'bad_value abc', 'dup{a="1",a="2"} 1', 'bad_escape{a="\\q"} 1', '<html>', 'also_good{x="y"} 2'].join('\n');
    const { samples, skippedLines } = parsePrometheusText(text);
    assert.deepEqual(samples.map((s) => s.name), ['good', 'also_good']);
    assert.deepEqual(skippedLines, [2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
