import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  IR_TO_ANTHROPIC_STOP,
  IR_TO_GEMINI_STOP,
  IR_TO_OPENAI_STOP,
  budgetToEffort,
  EFFORT_TO_BUDGET,
  stopFromAnthropic,
  stopFromGemini,
  stopFromOpenAi,
  totalInputTokens,
  usageFromAnthropic,
  usageFromGemini,
  usageFromOpenAi,
  usageToAnthropic,
  usageToGemini,
  usageToOpenAiChat,
  withToolUse,
} from '../src';

describe('stop reasons', () => {
  it('maps Anthropic stop reasons to the IR and back', () => {
    const cases: [string, string, string, string, string][] = [
      // anthropic, ir, back to anthropic, openai, gemini
      ['end_turn', 'end_turn', 'end_turn', 'stop', 'STOP'],
      ['stop_sequence', 'stop_sequence', 'stop_sequence', 'stop', 'STOP'],
      ['max_tokens', 'max_tokens', 'max_tokens', 'length', 'MAX_TOKENS'],
      ['model_context_window_exceeded', 'max_tokens', 'max_tokens', 'length', 'MAX_TOKENS'],
      ['tool_use', 'tool_use', 'tool_use', 'tool_calls', 'STOP'],
      ['refusal', 'content_filter', 'refusal', 'content_filter', 'SAFETY'],
      ['pause_turn', 'other', 'end_turn', 'stop', 'OTHER'],
    ];
    for (const [a, ir, back, oa, g] of cases) {
      const s = stopFromAnthropic(a);
      assert.equal(s.kind, ir, a);
      assert.equal(s.raw, a);
      assert.equal(IR_TO_ANTHROPIC_STOP[s.kind], back, a);
      assert.equal(IR_TO_OPENAI_STOP[s.kind], oa, a);
      assert.equal(IR_TO_GEMINI_STOP[s.kind], g, a);
    }
    assert.equal(stopFromAnthropic('stop_sequence', 'END').stopSequence, 'END');
  });

  it('maps OpenAI finish reasons', () => {
    assert.equal(stopFromOpenAi('stop').kind, 'end_turn');
    assert.equal(stopFromOpenAi('length').kind, 'max_tokens');
    assert.equal(stopFromOpenAi('tool_calls').kind, 'tool_use');
    assert.equal(stopFromOpenAi('function_call').kind, 'tool_use');
    assert.equal(stopFromOpenAi('content_filter').kind, 'content_filter');
    assert.deepEqual(stopFromOpenAi('weird'), { kind: 'other', raw: 'weird' });
    assert.deepEqual(stopFromOpenAi(null), { kind: 'other' });
  });

  it('maps Gemini finish reasons, safety family to content_filter and tool-call failures to error', () => {
    assert.equal(stopFromGemini('STOP').kind, 'end_turn');
    assert.equal(stopFromGemini('MAX_TOKENS').kind, 'max_tokens');
    for (const r of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY'])
      assert.equal(stopFromGemini(r).kind, 'content_filter', r);
    for (const r of ['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS'])
      assert.equal(stopFromGemini(r).kind, 'error', r);
    assert.equal(stopFromGemini('LANGUAGE').kind, 'other');
  });

  it('derives tool_use from the content (Gemini says STOP when it calls functions)', () => {
    assert.equal(withToolUse(stopFromGemini('STOP'), true).kind, 'tool_use');
    assert.equal(withToolUse(stopFromGemini('MAX_TOKENS'), true).kind, 'max_tokens');
    assert.equal(withToolUse(stopFromGemini('STOP'), false).kind, 'end_turn');
  });
});

describe('usage normalisation', () => {
  it('OpenAI counts cached tokens inside prompt_tokens: the IR splits them out', () => {
    const u = usageFromOpenAi({
      prompt_tokens: 120,
      completion_tokens: 30,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 64, cache_write_tokens: 6 },
      completion_tokens_details: { reasoning_tokens: 12 },
    });
    assert.equal(u.inputUncachedTokens, 50);
    assert.equal(u.cacheReadTokens, 64);
    assert.equal(u.cacheWriteTokens, 6);
    assert.equal(u.outputTokens, 30);
    assert.equal(u.reasoningTokens, 12);
    assert.equal(totalInputTokens(u), 120);
    // …and to Anthropic, cache counts go outside input_tokens.
    assert.deepEqual(usageToAnthropic(u), {
      input_tokens: 50,
      cache_creation_input_tokens: 6,
      cache_read_input_tokens: 64,
      output_tokens: 30,
    });
  });

  it('Anthropic counts cache outside input_tokens: OpenAI prompt_tokens is the sum', () => {
    const u = usageFromAnthropic({
      input_tokens: 50,
      cache_creation_input_tokens: 10,
      cache_read_input_tokens: 2000,
      output_tokens: 80,
      output_tokens_details: { thinking_tokens: 40 },
    });
    assert.deepEqual(usageToOpenAiChat(u), {
      prompt_tokens: 2060,
      completion_tokens: 80,
      total_tokens: 2140,
      prompt_tokens_details: { cached_tokens: 2000, cache_write_tokens: 10 },
      completion_tokens_details: { reasoning_tokens: 40 },
    });
    assert.deepEqual(usageToGemini(u), {
      promptTokenCount: 2060,
      candidatesTokenCount: 40,
      totalTokenCount: 2140,
      cachedContentTokenCount: 2000,
      thoughtsTokenCount: 40,
    });
  });

  it('Gemini counts thoughts outside candidates and cache inside the prompt', () => {
    const u = usageFromGemini({
      promptTokenCount: 120,
      cachedContentTokenCount: 64,
      candidatesTokenCount: 30,
      thoughtsTokenCount: 12,
      totalTokenCount: 162,
    });
    assert.equal(u.inputUncachedTokens, 56);
    assert.equal(u.cacheReadTokens, 64);
    assert.equal(u.outputTokens, 42);
    assert.equal(u.reasoningTokens, 12);
    assert.deepEqual(usageToOpenAiChat(u).completion_tokens_details, { reasoning_tokens: 12 });
    assert.equal(usageToOpenAiChat(u).prompt_tokens, 120);
    assert.deepEqual(usageToGemini(u), {
      promptTokenCount: 120,
      candidatesTokenCount: 30,
      totalTokenCount: 162,
      cachedContentTokenCount: 64,
      thoughtsTokenCount: 12,
    });
  });

  it('keeps the raw usage object and tolerates missing fields', () => {
    const raw = { prompt_tokens: 3 };
    const u = usageFromOpenAi(raw);
    assert.equal(u.raw, raw);
    assert.equal(u.outputTokens, 0);
    assert.equal(usageFromAnthropic(undefined).inputUncachedTokens, 0);
  });
});

describe('reasoning table', () => {
  it('maps effort to budget and budget back to effort', () => {
    assert.equal(EFFORT_TO_BUDGET.low, 2048);
    assert.equal(EFFORT_TO_BUDGET.medium, 8192);
    assert.equal(EFFORT_TO_BUDGET.high, 24576);
    assert.equal(budgetToEffort(0), 'none');
    assert.equal(budgetToEffort(1024), 'low');
    assert.equal(budgetToEffort(2048), 'low');
    assert.equal(budgetToEffort(8192), 'medium');
    assert.equal(budgetToEffort(24576), 'high');
    for (const e of ['low', 'medium', 'high'] as const) assert.equal(budgetToEffort(EFFORT_TO_BUDGET[e]), e);
  });
});
