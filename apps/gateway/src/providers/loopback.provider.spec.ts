import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getCodec, serializeSseEvent } from '@sluice/protocols';
import { loopbackResponse, loopbackStream, splitWords } from './loopback.provider';

describe('loopback model', () => {
  const ir = getCodec('openai-chat').decodeRequest({
    model: 'loopback',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'echo ' },
          { type: 'text', text: 'this back' },
        ],
      },
    ],
  });

  it('echoes the last user message, with real token counts', () => {
    const res = loopbackResponse(ir, '0190-abc', 1_700_000_000_000);
    assert.deepEqual(res.content, [{ type: 'text', text: 'echo this back' }]);
    assert.equal(res.usage.outputTokens, 3, 'o200k: echo / this / back');
    assert.ok(res.usage.inputUncachedTokens > 3);
    assert.equal(res.stopReason.kind, 'end_turn');
  });

  it('streams pieces that join back to the answer, in every client protocol', () => {
    const res = loopbackResponse(ir, 'r', 0);
    const events = loopbackStream(res);
    const text = events
      .map((e) => (e.type === 'block_delta' && e.delta.type === 'text' ? e.delta.text : ''))
      .join('');
    assert.equal(text, 'echo this back');
    for (const client of ['openai-chat', 'anthropic', 'gemini'] as const) {
      const enc = getCodec(client).createStreamEncoder({ model: 'loopback', includeUsage: true });
      const wire = [...events.flatMap((e) => enc.push(e)), ...enc.end()].map(serializeSseEvent).join('');
      assert.ok(wire.includes('this'), `${client} stream carries the text`);
    }
  });

  it('splits words without losing whitespace', () => {
    for (const s of ['', 'a', ' lead', 'trail ', 'two  spaces\nand\tlines '])
      assert.equal(splitWords(s).join(''), s);
  });
});
