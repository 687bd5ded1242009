import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChatCompletionRequest } from '../chat/chat-request.schema';
import { loopbackAnswer, loopbackChunks, loopbackCompletion, splitWords } from './loopback.provider';

describe('loopback model', () => {
  const req = parseChatCompletionRequest({
    model: 'loopback',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'echo ' },
          { type: 'image_url', image_url: { url: 'x' } },
          { type: 'text', text: 'this back' },
        ],
      },
    ],
  });

  it('echoes the last user message, text parts joined', () => {
    const a = loopbackAnswer(req, '0190-abc', 1_700_000_000_000);
    assert.equal(a.text, 'echo this back');
    assert.equal(a.id, 'chatcmpl-0190abc');
    assert.equal(a.completionTokens, 3, 'counted by the tokenizer: echo / this / back');
    assert.ok(a.promptTokens > a.completionTokens);
  });

  it('streams pieces that join back to the answer, then finish, then usage when asked', () => {
    const a = loopbackAnswer(req, 'r', 0);
    const chunks = loopbackChunks(a, 'loopback', true) as Array<{
      choices: Array<{ delta: { content?: string }; finish_reason: string | null }>;
      usage?: unknown;
    }>;
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(text, 'echo this back');
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(chunks.at(-1)?.choices, []);
    assert.deepEqual(chunks.at(-1)?.usage, (loopbackCompletion(a, 'loopback') as { usage: unknown }).usage);
    assert.equal(
      (loopbackChunks(a, 'loopback', false) as Array<{ usage?: unknown }>).some((c) => c.usage),
      false,
    );
  });

  it('splits words without losing whitespace', () => {
    for (const s of ['', 'a', ' lead', 'trail ', 'two  spaces\nand\tlines '])
      assert.equal(splitWords(s).join(''), s);
  });
});
