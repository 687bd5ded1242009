import { usdToNano } from '@sluice/money';
import type { PriceEntryData, PricePublishedV1, PriceRatesData } from './price-catalogue';

// The catalogue shipped with Sluice, as `price.published.v1` payloads: the ledger publishes them once at
// bootstrap like any other price change, so even the defaults reach projections only through events.
// Standard (non-batch, non-priority) tier, per million tokens, USD. Provider names are the gateway's
// provider families. Where a provider charges nothing extra to write its cache (OpenAI, Gemini implicit
// caching), cache write is priced as plain input. Prices must be re-checked against the providers' pages
// before billing anyone; each entry says where its figures come from and when that source was read.

const OPENAI_2026 =
  'https://openai.com/api/pricing (standard, short context) as quoted by tokenmix.ai and morphllm.com, June 2026';
const OPENAI_LEGACY =
  'https://openai.com/api/pricing (standard); input/output re-confirmed by aumiqx.com April 2026';
const OPENAI_GPT5 =
  'https://openai.com/api/pricing at the GPT-5 launch (2025-08-07); not re-checked against a 2026 snapshot';
const ANTHROPIC =
  'https://platform.claude.com/docs/en/about-claude/pricing (model pricing table, 5m cache writes)';
const ANTHROPIC_5X =
  'Anthropic pricing as quoted by third parties (apidog.com, PromptFuel v1.0.23 and claudit v1.9.2 release notes)';
const GEMINI = 'https://ai.google.dev/gemini-api/docs/pricing (paid tier, text); figures as of late 2025';
const GEMINI_3 =
  'https://ai.google.dev/gemini-api/docs/pricing (paid tier) as quoted by apiskey.online, 2026';

const rates = (
  input: string,
  output: string,
  cacheRead: string,
  cacheWrite: string = input,
): PriceRatesData => ({
  inputNanoUsdPerMTok: usdToNano(input).toString(),
  outputNanoUsdPerMTok: usdToNano(output).toString(),
  cacheReadNanoUsdPerMTok: usdToNano(cacheRead).toString(),
  cacheWriteNanoUsdPerMTok: usdToNano(cacheWrite).toString(),
});

const entry = (
  provider: string,
  models: string[],
  r: PriceRatesData,
  source: string,
  sourceDate: string,
  longContext: PriceEntryData['longContext'] = null,
): PriceEntryData[] =>
  models.map((model) => ({ provider, model, rates: r, longContext, source, sourceDate }));

/** Exact name plus dated snapshots (`gpt-4o-2024-08-06`, `claude-haiku-4-5-20251001`). */
const named = (name: string): string[] => [name, `${name}-20*`];

const entries: PriceEntryData[] = [
  // OpenAI
  ...entry('openai', named('gpt-5.5'), rates('5.00', '30.00', '0.50'), OPENAI_2026, '2026-06-04'),
  ...entry('openai', named('gpt-5.4'), rates('2.50', '15.00', '0.25'), OPENAI_2026, '2026-06-04'),
  ...entry('openai', named('gpt-5.4-mini'), rates('0.75', '4.50', '0.075'), OPENAI_2026, '2026-06-04'),
  ...entry('openai', named('gpt-5.4-nano'), rates('0.20', '1.25', '0.02'), OPENAI_2026, '2026-06-04'),
  ...entry('openai', named('gpt-5'), rates('1.25', '10.00', '0.125'), OPENAI_GPT5, '2025-08-07'),
  ...entry('openai', named('gpt-5-mini'), rates('0.25', '2.00', '0.025'), OPENAI_GPT5, '2025-08-07'),
  ...entry('openai', named('gpt-5-nano'), rates('0.05', '0.40', '0.005'), OPENAI_GPT5, '2025-08-07'),
  ...entry('openai', named('gpt-4.1'), rates('2.00', '8.00', '0.50'), OPENAI_LEGACY, '2026-04-01'),
  ...entry('openai', named('gpt-4.1-mini'), rates('0.40', '1.60', '0.10'), OPENAI_LEGACY, '2026-04-01'),
  ...entry('openai', named('gpt-4.1-nano'), rates('0.10', '0.40', '0.025'), OPENAI_LEGACY, '2026-04-01'),
  ...entry('openai', named('gpt-4o'), rates('2.50', '10.00', '1.25'), OPENAI_LEGACY, '2026-04-01'),
  ...entry('openai', named('gpt-4o-mini'), rates('0.15', '0.60', '0.075'), OPENAI_LEGACY, '2026-04-01'),
  ...entry('openai', named('o3'), rates('2.00', '8.00', '0.50'), OPENAI_LEGACY, '2026-04-01'),
  ...entry('openai', named('o4-mini'), rates('1.10', '4.40', '0.275'), OPENAI_LEGACY, '2026-04-01'),

  // Anthropic: cache write is the 5-minute write (1.25x input); 1-hour writes (2x) are not told apart in
  // the normalised usage, so they are under-priced until the usage event carries the split.
  ...entry(
    'anthropic',
    [
      'claude-opus-5',
      'claude-opus-5-20*',
      'claude-opus-4-8*',
      'claude-opus-4-7*',
      'claude-opus-4-6*',
      'claude-opus-4-5*',
    ],
    rates('5.00', '25.00', '0.50', '6.25'),
    ANTHROPIC,
    '2026-11-27',
  ),
  ...entry(
    'anthropic',
    ['claude-opus-4-1*', 'claude-opus-4-0*', 'claude-opus-4-20*'],
    rates('15.00', '75.00', '1.50', '18.75'),
    ANTHROPIC,
    '2026-11-27',
  ),
  ...entry(
    'anthropic',
    ['claude-sonnet-4-6*'],
    rates('3.00', '15.00', '0.30', '3.75'),
    ANTHROPIC,
    '2026-11-27',
  ),
  ...entry(
    'anthropic',
    ['claude-sonnet-4-5*', 'claude-sonnet-4-0*', 'claude-sonnet-4-20*'],
    rates('3.00', '15.00', '0.30', '3.75'),
    ANTHROPIC,
    '2026-11-27',
    { aboveInputTokens: 200_000, rates: rates('6.00', '22.50', '0.60', '7.50') },
  ),
  ...entry(
    'anthropic',
    ['claude-haiku-4-5*'],
    rates('1.00', '5.00', '0.10', '1.25'),
    ANTHROPIC,
    '2026-11-27',
  ),
  ...entry(
    'anthropic',
    ['claude-3-5-haiku*'],
    rates('0.80', '4.00', '0.08', '1.00'),
    ANTHROPIC,
    '2026-11-27',
  ),
  ...entry(
    'anthropic',
    ['claude-opus-5-5*'],
    rates('4.00', '20.00', '0.20', '5.00'),
    ANTHROPIC_5X,
    '2026-10-24',
  ),
  ...entry(
    'anthropic',
    ['claude-sonnet-5', 'claude-sonnet-5-20*', 'claude-sonnet-5-5*'],
    rates('2.00', '10.00', '0.20', '2.50'),
    ANTHROPIC_5X,
    '2026-10-24',
  ),
  ...entry(
    'anthropic',
    ['claude-haiku-5-5*'],
    rates('0.10', '0.50', '0.01', '0.125'),
    ANTHROPIC_5X,
    '2026-10-24',
    { aboveInputTokens: 100_000, rates: rates('0.50', '2.50', '0.05', '0.625') },
  ),

  // Gemini: prompts above 200k tokens are billed at the long-context rates for the whole request.
  ...entry('gemini', ['gemini-3-pro*'], rates('2.00', '12.00', '0.20'), GEMINI_3, '2026-06-17', {
    aboveInputTokens: 200_000,
    rates: rates('4.00', '18.00', '0.40'),
  }),
  ...entry('gemini', ['gemini-3-flash*'], rates('0.50', '3.00', '0.05'), GEMINI_3, '2026-06-17'),
  ...entry('gemini', ['gemini-2.5-pro*'], rates('1.25', '10.00', '0.125'), GEMINI, '2025-10-01', {
    aboveInputTokens: 200_000,
    rates: rates('2.50', '15.00', '0.25'),
  }),
  ...entry('gemini', ['gemini-2.5-flash*'], rates('0.30', '2.50', '0.03'), GEMINI, '2025-10-01'),
  ...entry('gemini', ['gemini-2.5-flash-lite*'], rates('0.10', '0.40', '0.01'), GEMINI, '2025-10-01'),
  ...entry('gemini', ['gemini-2.0-flash*'], rates('0.10', '0.40', '0.025'), GEMINI, '2025-10-01'),
];

/**
 * The default catalogue: version 1 with every list price from 2025-01-01, and version 2, Anthropic's cut of
 * Claude Sonnet 5.5 cache reads from $0.20 to $0.10 per million on 2026-10-07 (a real price change, and the
 * example of versioning: usage before that instant keeps the old price on replay).
 */
export const DEFAULT_PRICE_PUBLICATIONS: readonly PricePublishedV1[] = [
  { version: 1, effectiveFrom: '2025-01-01T00:00:00Z', scope: { kind: 'list' }, entries },
  {
    version: 2,
    effectiveFrom: '2026-10-07T00:00:00Z',
    scope: { kind: 'list' },
    entries: entry(
      'anthropic',
      ['claude-sonnet-5-5*'],
      rates('2.00', '10.00', '0.10', '2.50'),
      ANTHROPIC_5X,
      '2026-10-24',
    ),
  },
];
