import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { OpenAiChatStreamDecoder, plainContent } from '../src/openai-chat/chat-stream.codec';
import type { IrStreamEvent } from '../src/ir/stream';

/** Every chunk through one decoder; the events it gives. */
const decode = (chunks: readonly string[]): IrStreamEvent[] => {
  const d = new OpenAiChatStreamDecoder({ model: 'm' });
  const out: IrStreamEvent[] = [];
  for (const data of chunks) out.push(...d.push({ data }));
  out.push(...d.end());
  return out;
};

/**
 * The same chunks with their first `"choices":` written `"choices" :` (equal JSON): the fast path needs
 * the exact bytes, so this stream is decoded by JSON.parse alone. In JSON.stringify's output the first
 * `"choices":` is a key (a quote inside a string is escaped).
 */
const parsedWhole = (chunks: readonly string[]): string[] =>
  chunks.map((c) => c.replace('"choices":', '"choices" :'));

const prefixFields = fc.dictionary(
  fc.constantFrom('object', 'created', 'model', 'service_tier', 'system_fingerprint', 'usage', 'x', '1'),
  fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant({ choices: [] })),
  { maxKeys: 5 },
);
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom('a', ' ', '"', '\\', '\n', '\u0001', 'é', '€', '\ud83d\ude00', '\ud800', '"},'),
    fc.string({ unit: 'binary', maxLength: 1 }),
  ),
  maxLength: 12,
});
const tail = fc.constantFrom(
  '},"logprobs":null,"finish_reason":null}],"usage":null}',
  '},"finish_reason":null}]}',
  '},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"aZ9"}',
  '},"logprobs":null,"finish_reason":"stop"}],"usage":null}',
  '},"logprobs":null,"finish_reason":null}],"usage":{"prompt_tokens":1,"completion_tokens":2}}',
  '},"logprobs":null,"finish_reason":null}],"usage":null,"error":{"message":"x"}}',
  ',"role":"assistant"},"finish_reason":null}]}',
);

describe('OpenAI stream decoder: plain content chunks without JSON.parse', () => {
  it('gives the same events as a whole parse of every chunk, for any stream (property)', () => {
    // A content chunk is written by hand around the stream's own prefix (so the fast path is tried),
    // its content either escaped as JSON does or raw (often invalid JSON: both ways must drop it).
    const chunk = (prefix: string) =>
      fc.oneof(
        fc.tuple(text, tail, fc.boolean()).map(([t, end, escape]) => {
          const body = escape ? JSON.stringify(t).slice(1, -1) : t;
          return `${prefix}[{"index":0,"delta":{"content":"${body}"${end}`;
        }),
        fc
          .record({ fields: prefixFields, content: text, finish: fc.constantFrom(null, 'stop', 'length') })
          .map(({ fields, content, finish }) =>
            JSON.stringify({
              ...fields,
              choices: [{ index: 0, delta: { content }, finish_reason: finish }],
              usage: null,
            }),
          ),
        fc.constant(
          `${prefix}[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","type":"function","function":{"name":"f","arguments":""}}]},"finish_reason":null}]}`,
        ),
        fc.constant(`${prefix}[],"usage":{"prompt_tokens":3,"completion_tokens":4}}`),
      );
    const stream = prefixFields.chain((fields) => {
      // A fixed id: without one the decoder draws a random id for message_start.
      const first = JSON.stringify({
        id: 'chatcmpl-t',
        ...fields,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      });
      const at = first.indexOf('"choices":');
      const prefix = first.slice(0, at + '"choices":'.length);
      return fc.array(chunk(prefix), { maxLength: 8 }).map((rest) => [first, ...rest]);
    });
    fc.assert(
      fc.property(stream, (chunks) => {
        assert.deepStrictEqual(decode(chunks), decode(parsedWhole(chunks)));
      }),
      { numRuns: 1000 },
    );
  });

  it('reads the content chunks of a recorded OpenAI stream (the fast path is taken)', () => {
    const sse = readFileSync(join(__dirname, '../../../bench/mock/bodies/openai-chat.sse'), 'utf8');
    const chunks = sse
      .split('\n\n')
      .filter((f) => f.startsWith('data: {'))
      .map((f) => f.slice('data: '.length));
    const first = chunks[0]!;
    const prefix = first.slice(0, first.indexOf('"choices":') + '"choices":'.length);
    const contents = chunks.slice(1).map((c) => plainContent(c, prefix));
    const parsed = chunks.slice(1).map((c) => {
      const v = JSON.parse(c) as { choices: { delta: { content?: string }; finish_reason: unknown }[] };
      const choice = v.choices[0];
      return choice && choice.finish_reason === null && Object.keys(choice.delta).join() === 'content'
        ? choice.delta.content!
        : null;
    });
    assert.deepStrictEqual(contents, parsed);
    assert.ok(contents.filter((c) => c !== null).length >= 15, 'most chunks take the fast path');
    assert.deepStrictEqual(decode(chunks), decode(parsedWhole(chunks)));
  });

  it('takes escapes as JSON does and refuses what JSON refuses', () => {
    const prefix = '{"id":"x","choices":';
    const wrap = (body: string): string =>
      `${prefix}[{"index":0,"delta":{"content":"${body}"},"logprobs":null,"finish_reason":null}],"usage":null}`;
    assert.equal(plainContent(wrap('a\\"b\\\\'), prefix), 'a"b\\');
    assert.equal(plainContent(wrap('\\u00e9\\n'), prefix), 'é\n');
    assert.equal(plainContent(wrap('tab\there'), prefix), null, 'a raw control character');
    assert.equal(plainContent(wrap('bad \\x escape'), prefix), null);
    assert.equal(plainContent(wrap('x').replace('"id":"x"', '"id":"y"'), prefix), null, 'another prefix');
  });
});
