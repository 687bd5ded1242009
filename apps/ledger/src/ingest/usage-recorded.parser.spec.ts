import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { usageRecordedV1Schema } from '@sluice/events';
import { fastParseUsageRecordedV1, parseUsageRecordedV1 } from './usage-recorded.parser';

// The fast path must never accept what zod refuses, and must return exactly zod's value (keys, defaults,
// stripped unknown keys): the projectors price and store what it returns.

const hex64 = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 });
const isoDate = fc
  .date({ min: new Date('1990-01-01'), max: new Date('2090-01-01'), noInvalidDate: true })
  .map((d) => d.toISOString());
const oddValue = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    undefined,
    '',
    'x',
    -1,
    -0,
    0,
    1.5,
    99,
    100,
    599,
    600,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    false,
    [],
    {},
    new Date(0),
    '2026-11-01T12:00:00Z',
    '2026-11-01T12:00:00.123+01:00',
    '2026-11-01T12:00:00+0100',
    '2026-11-01 12:00:00Z',
    '2026-02-30T12:00:00Z',
    '2024-02-29T23:59:59.999999Z',
    '2026-11-01T24:00:00Z',
    '2026-11-01T12:00Z',
    'A'.repeat(64),
    'a'.repeat(64),
    'a'.repeat(63),
    { input: 1, output: null },
    { input: -1, output: 2 },
    [{ detector: 'aws', kind: 'secret', count: 1, location: 'request', action: 'redact' }],
    [{ detector: 'aws', kind: 'secret', count: 0, location: 'request', action: 'redact' }],
    [{ detector: 'aws', kind: 'card', count: 1, location: 'request', action: 'redact' }],
    { inputUncachedTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 1, reasoningTokens: 0 },
    {
      inputUncachedTokens: 1.5,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 1,
      reasoningTokens: 0,
    },
    JSON.parse('{"__proto__": {"a": 1}, "b": 2}') as unknown,
    { then: () => 1 },
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 5 }),
  fc.jsonValue({ maxDepth: 2 }),
);
/** The fields every usage.recorded.v1 event carries; older events lack the later ones. */
const REQUIRED_FIELDS = [
  'requestId',
  'teamId',
  'keyId',
  'endpoint',
  'modelRequested',
  'modelServed',
  'provider',
  'providerRequestId',
  'stream',
  'status',
  'errorCode',
  'usage',
  'rawUsage',
  'receivedAt',
  'latencyMs',
  'ttfbMs',
] as const;

const nonNegInt = fc.nat({ max: 2_000_000 });
const finding = fc.record({
  detector: fc.string({ maxLength: 8 }),
  kind: fc.constantFrom('secret', 'pii'),
  count: fc.integer({ min: 1, max: 50 }),
  location: fc.constantFrom('request', 'response'),
  action: fc.constantFrom('monitor', 'block', 'redact'),
});

const validEvent = fc.record(
  {
    requestId: fc.string({ minLength: 1, maxLength: 20 }),
    teamId: fc.string({ minLength: 1, maxLength: 20 }),
    keyId: fc.option(fc.string({ maxLength: 12 })),
    endpoint: fc.constantFrom('openai.chat_completions', 'anthropic.messages', 'gemini.generate_content'),
    modelRequested: fc.option(fc.string({ maxLength: 12 })),
    modelServed: fc.option(fc.string({ maxLength: 12 })),
    provider: fc.option(fc.constantFrom('openai', 'anthropic', 'gemini')),
    providerRequestId: fc.option(fc.string({ maxLength: 12 })),
    stream: fc.boolean(),
    status: fc.integer({ min: 100, max: 599 }),
    errorCode: fc.option(fc.string({ maxLength: 8 })),
    usage: fc.record({
      inputUncachedTokens: nonNegInt,
      cacheReadTokens: nonNegInt,
      cacheWriteTokens: nonNegInt,
      outputTokens: nonNegInt,
      reasoningTokens: nonNegInt,
    }),
    rawUsage: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }))),
    receivedAt: fc.oneof(
      isoDate,
      isoDate.map((s) => s.replace('Z', '+02:00')),
      isoDate.map((s) => s.slice(0, 19) + 'Z'),
    ),
    latencyMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
    ttfbMs: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true })),
    firewall: fc.array(finding, { maxLength: 3 }),
    requestSha256: fc.option(hex64),
    responseSha256: fc.option(hex64),
    ttftMs: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true })),
    gatewayTokens: fc.record({ input: fc.option(nonNegInt), output: fc.option(nonNegInt) }),
  },
  // Older events lack the later fields, and firewall (defaulted).
  {
    requiredKeys: [...REQUIRED_FIELDS],
  },
);

type Mutation = { path: string[]; value: unknown; remove: boolean };
const FIELDS = [
  ...REQUIRED_FIELDS,
  'firewall',
  'requestSha256',
  'responseSha256',
  'ttftMs',
  'gatewayTokens',
  'unknownField',
];
const mutation = fc.record({
  path: fc.oneof(
    fc.constantFrom(...FIELDS).map((f) => [f]),
    fc.constantFrom('inputUncachedTokens', 'outputTokens', 'extra').map((f) => ['usage', f]),
    fc.constantFrom('input', 'output', 'extra').map((f) => ['gatewayTokens', f]),
    fc
      .constantFrom('detector', 'kind', 'count', 'location', 'action', 'extra')
      .map((f) => ['firewall', '0', f]),
  ),
  value: oddValue,
  remove: fc.boolean(),
});

function mutate(event: Record<string, unknown>, ms: Mutation[]): unknown {
  const copy = structuredClone(event);
  for (const m of ms) {
    let target: unknown = copy;
    for (const k of m.path.slice(0, -1))
      target =
        typeof target === 'object' && target !== null ? (target as Record<string, unknown>)[k] : undefined;
    if (typeof target !== 'object' || target === null) continue;
    const last = m.path[m.path.length - 1]!;
    if (m.remove) delete (target as Record<string, unknown>)[last];
    else (target as Record<string, unknown>)[last] = m.value;
  }
  return copy;
}

function sameAsZod(input: unknown): 'fast' | 'zod' {
  const fast = fastParseUsageRecordedV1(input);
  const zod = usageRecordedV1Schema.safeParse(input);
  if (fast === undefined) return 'zod';
  assert.ok(zod.success, `fast path accepted what zod refuses: ${JSON.stringify(zod.error?.issues)}`);
  assert.deepStrictEqual(fast, zod.data);
  // The raw usage is stored as JSON text: the same text, key order included.
  assert.equal(JSON.stringify(fast), JSON.stringify(zod.data));
  return 'fast';
}

describe('parseUsageRecordedV1', () => {
  it("takes the fast path for every valid event, with zod's exact value", () => {
    fc.assert(
      fc.property(validEvent, (e) => {
        assert.equal(sameAsZod(e), 'fast');
        assert.equal(sameAsZod(JSON.parse(JSON.stringify(e)) as unknown), 'fast');
      }),
      { numRuns: 3_000 },
    );
  });

  it('never accepts what zod refuses, and agrees with it on mutated events', () => {
    let fast = 0;
    let refused = 0;
    fc.assert(
      fc.property(validEvent, fc.array(mutation, { minLength: 1, maxLength: 3 }), (e, ms) => {
        const input = mutate(e, ms);
        if (sameAsZod(input) === 'fast') fast += 1;
        const r = parseUsageRecordedV1(input);
        const z = usageRecordedV1Schema.safeParse(input);
        assert.equal(r.success, z.success);
        if (!r.success) refused += 1;
      }),
      { numRuns: 10_000 },
    );
    // Both sides were exercised.
    assert.ok(fast > 500, `fast path taken ${fast} times`);
    assert.ok(refused > 2_000, `refused ${refused} times`);
  });

  it('falls back to zod for what it does not handle (and zod decides)', () => {
    assert.equal(fastParseUsageRecordedV1(null), undefined);
    assert.equal(fastParseUsageRecordedV1([]), undefined);
    const r = parseUsageRecordedV1({ requestId: '' });
    assert.equal(r.success, false);
    assert.ok(!r.success && r.error.issues.length > 0);
  });
});
