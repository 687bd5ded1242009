import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startStandalone, type Standalone } from '@sluice/apps/standalone';
import { MockUpstream, waitFor } from '@sluice/testing';
import { graphql } from '../helpers/graphql';
import { expectedChargeNanoUsd } from './helpers';

type Balance = { account: string; balanceNanoUsd: string };
type Check = {
  balanced: boolean;
  transfers: number;
  debitsPostedNanoUsd: string;
  creditsPostedNanoUsd: string;
};

/**
 * Standalone mode on its embedded defaults (PGlite, in-process events), the OpenAI SDK through the gateway
 * to the mock upstream on OpenAI and Anthropic models with scripted token counts: the ledger's books hold
 * each request at the catalogue price to the nano-dollar, and balance.
 */
describe('standalone: requests through the gateway land in the books', { timeout: 240_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-accounting-'));
  let mock: MockUpstream;
  let s: Standalone;
  let openai: OpenAI;

  before(async () => {
    mock = await MockUpstream.start({ keys: { openai: 'sk-up-openai', anthropic: 'sk-up-anthropic' } });
    s = await startStandalone(
      {
        SLUICE_DATA_DIR: dataDir,
        SLUICE_GATEWAY_PORT: '0',
        SLUICE_LEDGER_PORT: '0',
        SLUICE_MARKETPLACE_PORT: '0',
        SLUICE_LOG_LEVEL: 'warn',
        SLUICE_OPENAI_BASE_URL: `${mock.url}/v1`,
        SLUICE_OPENAI_API_KEY: 'sk-up-openai',
        SLUICE_ANTHROPIC_BASE_URL: mock.url,
        SLUICE_ANTHROPIC_API_KEY: 'sk-up-anthropic',
      },
      () => undefined,
    );
    openai = new OpenAI({ apiKey: s.masterKey, baseURL: `${s.urls.gateway}/v1`, maxRetries: 0 });
  });

  after(async () => {
    await s?.stop();
    await mock?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('charges each request the catalogue price and keeps debits equal to credits', async () => {
    const calls: Array<{ provider: string; model: string; input: number; output: number }> = [
      { provider: 'openai', model: 'gpt-4o', input: 1234, output: 567 },
      { provider: 'openai', model: 'gpt-4o-mini', input: 98765, output: 4321 },
      { provider: 'anthropic', model: 'claude-sonnet-4-5', input: 2000, output: 333 },
      { provider: 'openai', model: 'gpt-4o', input: 7, output: 1 },
    ];
    for (const c of calls) {
      mock.enqueue({ text: 'ok', usage: { inputTokens: c.input, outputTokens: c.output } });
      const r = await openai.chat.completions.create({
        model: c.model,
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.equal(r.usage?.prompt_tokens, c.input);
    }
    const expected = (provider: string): bigint =>
      calls
        .filter((c) => c.provider === provider)
        .reduce(
          (sum, c) =>
            sum +
            expectedChargeNanoUsd(c.provider, c.model, {
              input: c.input,
              output: c.output,
              cacheRead: 0,
              cacheWrite: 0,
            }),
          0n,
        );
    const balances = await waitFor(
      'the books to hold every request',
      async () =>
        (
          await graphql<{ balances: Balance[] }>(
            s.urls.ledger,
            s.masterKey,
            `
              {
                balances {
                  account
                  balanceNanoUsd
                }
              }
            `,
          )
        ).data?.balances ?? [],
      (b) =>
        b.find((x) => x.account === 'provider:openai')?.balanceNanoUsd === expected('openai').toString() &&
        b.find((x) => x.account === 'provider:anthropic')?.balanceNanoUsd ===
          expected('anthropic').toString(),
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    // The team paid exactly what the providers are owed (no margin in the default catalogue): its
    // overrun is on its receivable.
    const receivables = balances
      .filter((b) => b.account.startsWith('receivable:'))
      .reduce((sum, b) => sum + BigInt(b.balanceNanoUsd), 0n);
    assert.equal(receivables, expected('openai') + expected('anthropic'));

    const check = await graphql<{ booksCheck: Check }>(
      s.urls.ledger,
      s.masterKey,
      `
        {
          booksCheck {
            balanced
            transfers
            debitsPostedNanoUsd
            creditsPostedNanoUsd
          }
        }
      `,
    );
    assert.equal(check.data?.booksCheck.balanced, true);
    assert.equal(check.data?.booksCheck.debitsPostedNanoUsd, check.data?.booksCheck.creditsPostedNanoUsd);

    const prices = await graphql<{ prices: Array<{ model: string; version: number }> }>(
      s.urls.ledger,
      s.masterKey,
      `
        {
          prices(model: "claude-sonnet-5-5") {
            model
            version
          }
        }
      `,
    );
    assert.deepEqual(
      prices.data?.prices.map((p) => p.version).sort(),
      [1, 2],
      'both versions of the Sonnet 5.5 price',
    );
  });
});
