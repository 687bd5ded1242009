import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseFromChoices } from '../src/openai-chat/chat-stream.codec';

const pick = (v: unknown): unknown => {
  const o = v as Record<string, unknown>;
  return { choices: o['choices'], usage: o['usage'], error: o['error'] };
};

describe('parseFromChoices (OpenAI chunks after the first)', () => {
  it('reads choices, usage and error as a whole parse does, whatever precedes them (property)', () => {
    // Keys in any order, values anywhere holding keys named choices, usage or error, nested.
    const key = fc.constantFrom(
      'id',
      'object',
      'model',
      'choices',
      'usage',
      'error',
      'x',
      'system_fingerprint',
    );
    const leaf = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant('"choices":'));
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(key, tie('v'), { maxKeys: 3 }),
      ),
    })).v;
    const chunk = fc
      .tuple(fc.array(fc.tuple(key, value), { maxLength: 6 }), value)
      .map(([entries, choices]) => {
        const o: Record<string, unknown> = {};
        for (const [k, v] of entries) o[k] = v;
        if (!('choices' in o)) o['choices'] = choices;
        return o;
      });
    fc.assert(
      fc.property(chunk, (o) => {
        const text = JSON.stringify(o);
        assert.deepStrictEqual(pick(parseFromChoices(text)), pick(JSON.parse(text)));
      }),
      { numRuns: 2000 },
    );
  });

  it('parses a real chunk from its choices on, and throws on what JSON.parse throws on', () => {
    const real =
      '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"usage":null}';
    assert.deepStrictEqual(parseFromChoices(real), {
      choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }],
      usage: null,
    });
    assert.throws(() => parseFromChoices('{"id":"x","choices":[}'));
  });
});
