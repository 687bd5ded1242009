import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { countTextTokens } from '@sluice/protocols';
import {
  BODY_BYTES_PER_TOKEN,
  DEFAULT_OUTPUT_TOKENS,
  estimateChargeNanoUsd,
  estimateRequest,
  estimateTokens,
  requestedOutputTokens,
} from './request-estimate';
import { chargeNanoUsd, type LocalPrice } from './usage-charge';

// $3 input, $15 output, $0.30 cache read, $3.75 cache write per million tokens (Anthropic's Sonnet list).
const SONNET: LocalPrice = {
  rates: {
    input: 3_000_000_000n,
    output: 15_000_000_000n,
    cacheRead: 300_000_000n,
    cacheWrite: 3_750_000_000n,
  },
  longContext: {
    aboveInputTokens: 200_000,
    rates: {
      input: 6_000_000_000n,
      output: 22_500_000_000n,
      cacheRead: 600_000_000n,
      cacheWrite: 7_500_000_000n,
    },
  },
};
// $2.50 input, $10 output, no cache writes (OpenAI's gpt-4o list).
const GPT4O: LocalPrice = {
  rates: { input: 2_500_000_000n, output: 10_000_000_000n, cacheRead: 1_250_000_000n, cacheWrite: 0n },
  longContext: null,
};

describe('request estimate', () => {
  it("reads the output limit of every protocol's request, the larger when several are given", () => {
    assert.equal(requestedOutputTokens({ max_tokens: 100 }), 100, 'Chat (legacy) and Anthropic');
    assert.equal(requestedOutputTokens({ max_completion_tokens: 200 }), 200, 'Chat');
    assert.equal(requestedOutputTokens({ max_tokens: 300, max_completion_tokens: 200 }), 300);
    assert.equal(requestedOutputTokens({ max_output_tokens: 400 }), 400, 'Responses');
    assert.equal(requestedOutputTokens({ generationConfig: { maxOutputTokens: 500 } }), 500, 'Gemini');
    assert.equal(requestedOutputTokens({ generation_config: { max_output_tokens: 600 } }), 600);
    for (const none of [{}, null, 'x', { max_tokens: -1 }, { max_tokens: '100' }, { generationConfig: 5 }])
      assert.equal(requestedOutputTokens(none), null, JSON.stringify(none));
  });

  it('estimates input from the body size and output from the limit, the default, the model maximum and n', () => {
    assert.deepEqual(estimateRequest(3_001, { max_tokens: 50 }, null), {
      inputTokens: 1_001,
      outputTokens: 50,
    });
    assert.deepEqual(estimateRequest(0, {}, null), { inputTokens: 0, outputTokens: DEFAULT_OUTPUT_TOKENS });
    assert.deepEqual(
      estimateRequest(0, {}, 1_000),
      { inputTokens: 0, outputTokens: 1_000 },
      'the model caps it',
    );
    assert.deepEqual(
      estimateRequest(0, { max_tokens: 128_000 }, 32_000),
      { inputTokens: 0, outputTokens: 32_000 },
      'a provider clamps or refuses a limit above the model maximum',
    );
    assert.equal(estimateRequest(0, { max_tokens: 100, n: 3 }, null).outputTokens, 300, 'each choice');
    assert.equal(
      estimateRequest(0, { generationConfig: { maxOutputTokens: 100, candidateCount: 2 } }, null)
        .outputTokens,
      200,
    );
    assert.equal(estimateTokens({ inputTokens: 1_001, outputTokens: 50 }), 1_051n);
  });

  it('prices the estimate as the ledger charges, input at the dearer of the plain and cache-write rates', () => {
    const e = { inputTokens: 10_000, outputTokens: 1_000 };
    // Sonnet: input as cache writes (3.75 > 3): 10,000 x 3.75 + 1,000 x 15 = 52,500 micro-USD.
    assert.equal(estimateChargeNanoUsd(e, SONNET), 52_500_000n);
    // gpt-4o has no cache-write price: plain input.
    assert.equal(estimateChargeNanoUsd(e, GPT4O), 35_000_000n);
    assert.equal(
      estimateChargeNanoUsd(e, GPT4O),
      chargeNanoUsd(
        { inputUncachedTokens: 10_000, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 1_000 },
        GPT4O,
      ),
    );
    // Above 200,000 prompt tokens the long-context tier applies, as the ledger's charge rule does.
    assert.equal(
      estimateChargeNanoUsd({ inputTokens: 200_001, outputTokens: 0 }, SONNET),
      (200_001n * 7_500_000_000n + 999_999n) / 1_000_000n,
    );
    assert.equal(estimateChargeNanoUsd(e, null), 0n, 'an unpriced model costs nothing in money');
    // An odd femto-USD remainder rounds up, once.
    assert.equal(estimateChargeNanoUsd({ inputTokens: 1, outputTokens: 0 }, GPT4O), 2_500n);
  });

  it(`over-estimates the input of prose, code and non-Latin text (${BODY_BYTES_PER_TOKEN} bytes a token)`, () => {
    const texts = {
      english: 'The quick brown fox jumps over the lazy dog while the budget holds. '.repeat(40),
      code: readFileSync(require.resolve('./spend-lease.ts'), 'utf8'),
      chinese: '预算在网关中强制执行，每个请求在发送前都会预留其估计成本。'.repeat(30),
      russian: 'Бюджет соблюдается шлюзом: каждый запрос резервирует оценку своей стоимости. '.repeat(30),
      emoji: '🚀✨🔥 ok '.repeat(100),
    };
    for (const [name, text] of Object.entries(texts)) {
      const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: text }] });
      const estimate = estimateRequest(Buffer.byteLength(body), JSON.parse(body), null).inputTokens;
      const real = countTextTokens(text);
      assert.ok(estimate >= real, `${name}: estimated ${estimate} < ${real} o200k tokens`);
      assert.ok(estimate <= real * 3, `${name}: estimated ${estimate}, more than three times ${real}`);
    }
  });
});
