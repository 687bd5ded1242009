import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  IMAGE_TOKENS_ESTIMATE,
  anthropicCodec,
  countInputTextTokens,
  countRequestTokens,
  countTextTokens,
  countTokensResponseBody,
} from '../src';
import { fixture } from './protocol-test-helpers';

describe('token counting without an upstream', () => {
  it('uses a real BPE tokenizer, not characters divided by four', () => {
    assert.equal(countTextTokens('hello world'), 2);
    assert.equal(countTextTokens(''), 0);
    // 40 characters: chars/4 would say 10; o200k has one token per word plus the trailing space.
    assert.equal(countTextTokens('the the the the the the the the the the '), 11);
    assert.ok(countTextTokens('Supercalifragilisticexpialidocious') > 3);
    assert.notEqual(countTextTokens('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'), 10);
  });

  it('counts system, messages and tool definitions of a request', () => {
    const ir = anthropicCodec.decodeRequest(fixture('anthropic-count-tokens').body);
    const total = countRequestTokens(ir);
    const withoutTools = countRequestTokens({ ...ir, tools: [] });
    assert.ok(total > withoutTools + 20, `tools counted: ${total} vs ${withoutTools}`);
    assert.ok(
      withoutTools >=
        countTextTokens('Be brief.') + countTextTokens('How many tokens is this? acc-count-tokens'),
    );
    const withImage = countRequestTokens({
      ...ir,
      messages: [
        ...ir.messages,
        { role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'https://x/y.png' } }] },
      ],
    });
    assert.equal(withImage - total, IMAGE_TOKENS_ESTIMATE + 3);
  });

  it('counts a large real request (Claude Code) in a plausible range', () => {
    const ir = anthropicCodec.decodeRequest(fixture('claude-code-turn2').body);
    const n = countRequestTokens(ir);
    assert.ok(n > 1000 && n < 10000, String(n));
  });

  it('remembers prompt texts by content: the same count as a fresh encoding, every time', () => {
    const ir = anthropicCodec.decodeRequest(fixture('claude-code-turn2').body);
    const first = countRequestTokens(ir);
    assert.equal(countRequestTokens(ir), first);
    const text = 'A system prompt long enough to be remembered by the counter, with code: const x = 1;';
    const fresh = countTextTokens(text);
    assert.equal(countInputTextTokens(text), fresh);
    assert.equal(countInputTextTokens(text), fresh);
    // A one-character change is a different entry, not a stale hit.
    assert.equal(countInputTextTokens(`${text} more`), countTextTokens(`${text} more`));
    assert.notEqual(countInputTextTokens(`${text} more`), fresh);
  });

  it('answers in the count_tokens shape of each protocol', () => {
    assert.deepEqual(countTokensResponseBody('anthropic', 12), { input_tokens: 12 });
    assert.deepEqual(countTokensResponseBody('gemini', 12), { totalTokens: 12 });
  });
});
