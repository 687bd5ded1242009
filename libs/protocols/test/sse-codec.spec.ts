import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SseParser, parseSse, serializeSse, serializeSseEvent, sseComment } from '../src';

const feedAll = (chunks: (string | Uint8Array)[]): ReturnType<SseParser['end']> => {
  const p = new SseParser();
  const out = chunks.flatMap((c) => p.push(c));
  return [...out, ...p.end()];
};

const sample =
  ': keep-alive\r\n\r\nevent: message_start\r\ndata: {"type":"message_start","text":"héllo ✓ 🎉"}\r\n\r\n' +
  'data: line one\ndata: line two\n\nid: 7\nretry: 1500\nevent: ping\ndata: {}\r\r' +
  'data: [DONE]\n\n';

const expected = [
  { event: 'message_start', data: '{"type":"message_start","text":"héllo ✓ 🎉"}' },
  { data: 'line one\nline two' },
  { event: 'ping', data: '{}', id: '7', retry: 1500 },
  { data: '[DONE]', id: '7' },
];

describe('SseParser', () => {
  it('parses CRLF, CR and LF line ends, multi-line data, comments, id and retry', () => {
    assert.deepEqual(parseSse(sample), expected);
  });

  it('gives the same events for every split of the text into two string chunks', () => {
    for (let i = 0; i <= sample.length; i++) {
      assert.deepEqual(feedAll([sample.slice(0, i), sample.slice(i)]), expected, `split at ${i}`);
    }
  });

  it('gives the same events when bytes are split at every position, inside multi-byte characters too', () => {
    const bytes = new TextEncoder().encode(sample);
    for (let i = 0; i <= bytes.length; i++) {
      assert.deepEqual(feedAll([bytes.slice(0, i), bytes.slice(i)]), expected, `byte split at ${i}`);
    }
    assert.deepEqual(feedAll([...bytes].map((b) => new Uint8Array([b]))), expected);
  });

  it('gives the same events for any text cut into any chunks, with LF-only and mixed line ends (property)', () => {
    const line = fc.constantFrom(
      'data: {"a":1}',
      'data: x',
      'event: e',
      'id: 3',
      ': ping',
      'data:',
      '',
      'retry: 10',
      'data:y',
      'data:  two spaces',
      'data: ',
      'data',
      'event:',
      'event:f',
      'event: ',
      'eventx: g',
      'datax: h',
    );
    const end = fc.constantFrom('\n', '\n', '\n', '\r\n', '\r');
    const text = fc
      .array(fc.tuple(line, end), { maxLength: 30 })
      .map((ls) => ls.map(([l, e]) => l + e).join(''));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 8 }), (t, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (t.length + 1)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const p of points) {
          chunks.push(t.slice(from, p));
          from = p;
        }
        chunks.push(t.slice(from));
        assert.deepEqual(feedAll(chunks), parseSse(t));
        // Reference: the same text with every line end made LF goes through the LF-only path whole.
        const lf = t.replace(/\r\n|\r/g, '\n');
        assert.deepEqual(parseSse(t), parseSse(lf));
      }),
      { numRuns: 500 },
    );
  });

  it('strips a leading BOM and ignores events without data', () => {
    assert.deepEqual(parseSse('\uFEFFevent: x\n\ndata: a\n\n'), [{ data: 'a' }]);
  });

  it('delivers a last event that lacks its blank line at end of input', () => {
    assert.deepEqual(parseSse('data: {"a":1}\n\ndata: {"b":2}'), [{ data: '{"a":1}' }, { data: '{"b":2}' }]);
  });

  it('keeps a single space after the colon only once and accepts fields without a value', () => {
    assert.deepEqual(parseSse('data:  two spaces\ndata\n\n'), [{ data: ' two spaces\n' }]);
  });
});

describe('SSE serializer', () => {
  it('writes event, id, retry and splits multi-line data', () => {
    assert.equal(
      serializeSseEvent({ event: 'e', id: '1', retry: 5, data: 'a\nb' }),
      'event: e\nid: 1\nretry: 5\ndata: a\ndata: b\n\n',
    );
    assert.equal(sseComment('ping'), ': ping\n\n');
  });

  it('round-trips through the parser', () => {
    const events = [
      { event: 'message_delta', data: '{"x":"y\\n"}' },
      { data: 'multi\nline' },
      { data: '[DONE]' },
    ];
    assert.deepEqual(parseSse(serializeSse(events)), events);
  });
});
