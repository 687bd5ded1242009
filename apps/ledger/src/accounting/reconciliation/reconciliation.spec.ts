import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAnthropicUsage, parseCsvExport, parseOpenAiUsage } from './provider-exports';
import { reconcile, type LedgerRequest } from './reconciliation';

const req = (
  i: number,
  day: string,
  model: string,
  input: number,
  output: number,
  cost: bigint,
): LedgerRequest => ({
  requestId: `gw-${i}`,
  providerRequestId: `chatcmpl-${i}`,
  eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  day,
  model,
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: 0,
  costNanoUsd: cost,
});

const LEDGER: LedgerRequest[] = [
  req(1, '2026-11-01', 'gpt-4o', 100, 10, 350_000n),
  req(2, '2026-11-01', 'gpt-4o', 200, 20, 700_000n),
  req(3, '2026-11-01', 'gpt-4o-mini', 1000, 100, 210_000n),
  req(4, '2026-11-02', 'gpt-4o', 50, 5, 175_000n),
  req(5, '2026-10-31', 'gpt-4o', 1, 1, 12_500n), // outside the export's days: ignored
];

describe('reconciliation', () => {
  it('finds exactly the planted day/model mismatches in an OpenAI usage export, with evidence', () => {
    const day = (d: string): number => Date.parse(`${d}T00:00:00Z`) / 1000;
    const exportJson = JSON.stringify({
      object: 'page',
      data: [
        {
          object: 'bucket',
          start_time: day('2026-11-01'),
          end_time: day('2026-11-02'),
          results: [
            {
              model: 'gpt-4o',
              input_tokens: 300,
              output_tokens: 30,
              input_cached_tokens: 0,
              num_model_requests: 2,
            },
            // planted: 7 more output tokens than the ledger saw
            {
              model: 'gpt-4o-mini',
              input_tokens: 1000,
              output_tokens: 107,
              input_cached_tokens: 0,
              num_model_requests: 1,
            },
            // planted: a model the ledger never saw
            { model: 'o3', input_tokens: 5, output_tokens: 5, input_cached_tokens: 0, num_model_requests: 1 },
          ],
        },
        // planted: 2026-11-02 missing from the export entirely -> the ledger's gpt-4o that day is unmatched
        { object: 'bucket', start_time: day('2026-11-02'), end_time: day('2026-11-03'), results: [] },
      ],
      has_more: false,
    });
    const parsed = parseOpenAiUsage(exportJson);
    assert.deepEqual(parsed.days, ['2026-11-01', '2026-11-02'], 'an empty day bucket still covers its day');
    const findings = reconcile(parsed.rows, LEDGER, parsed.days);
    assert.deepEqual(
      findings.map((f) => `${f.kind} ${f.day} ${f.model} ${JSON.stringify(f.deltas)}`),
      [
        'tokens_differ 2026-11-01 gpt-4o-mini {"outputTokens":"7"}',
        'missing_in_ledger 2026-11-01 o3 {"requests":"1","inputTokens":"5","outputTokens":"5"}',
        'missing_in_export 2026-11-02 gpt-4o {"requests":"-1","inputTokens":"-50","outputTokens":"-5"}',
      ],
    );
    assert.deepEqual(findings[0]?.evidence, ['gw-3']);
    assert.deepEqual(findings[2]?.evidence, ['gw-4']);
  });

  it('matches a CSV export request by request, costs included', () => {
    const csv = [
      'date,model,request_id,input_tokens,output_tokens,cost_usd',
      '2026-11-01,gpt-4o,chatcmpl-1,100,10,0.00035',
      '2026-11-01,gpt-4o,chatcmpl-2,200,20,0.000700001', // planted: 1 nano-USD more
      '2026-11-01,gpt-4o-mini,chatcmpl-3,1001,100,0.00021', // planted: one more input token
      '2026-11-01,gpt-4o,chatcmpl-99,3,3,0.00001', // planted: unknown to the ledger
    ].join('\n');
    const findings = reconcile(parseCsvExport(csv), LEDGER);
    assert.deepEqual(
      findings.map((f) => `${f.kind} ${f.requestId ?? '-'} ${JSON.stringify(f.deltas)}`),
      [
        'request_cost_differ chatcmpl-2 {"costNanoUsd":"1"}',
        'request_tokens_differ chatcmpl-3 {"inputTokens":"1"}',
        'request_missing_in_ledger chatcmpl-99 {"requests":"1","inputTokens":"3","outputTokens":"3"}',
      ],
    );
  });

  it('agrees with itself: an export equal to the ledger yields no finding', () => {
    const csv = [
      'date,model,input_tokens,output_tokens,requests,cost_usd',
      '2026-11-01,gpt-4o,300,30,2,0.00105',
      '2026-11-01,gpt-4o-mini,1000,100,1,0.00021',
    ].join('\r\n');
    assert.deepEqual(reconcile(parseCsvExport(csv), LEDGER), []);
  });

  it('reads an Anthropic usage report: input is uncached + cache read + cache writes', () => {
    const { rows } = parseAnthropicUsage(
      JSON.stringify({
        data: [
          {
            starting_at: '2026-11-01T00:00:00Z',
            ending_at: '2026-11-02T00:00:00Z',
            results: [
              {
                model: 'claude-sonnet-4-5-20250929',
                uncached_input_tokens: 1500,
                cache_read_input_tokens: 200,
                cache_creation: { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 1000 },
                output_tokens: 500,
              },
            ],
          },
        ],
        has_more: false,
      }),
    );
    assert.deepEqual(rows, [
      {
        day: '2026-11-01',
        model: 'claude-sonnet-4-5-20250929',
        requestId: null,
        requests: null,
        inputTokens: 3200,
        outputTokens: 500,
        cacheReadTokens: 200,
        costNanoUsd: null,
      },
    ]);
  });

  it('refuses malformed exports with a line number', () => {
    assert.throws(
      () => parseCsvExport('date,model,input_tokens,output_tokens\n2026-11-01,gpt-4o,12x,3'),
      /line 2: input_tokens/,
    );
    assert.throws(() => parseCsvExport('model,input_tokens\n'), /no date column/);
    assert.throws(
      () => parseOpenAiUsage('{"data":[{"start_time":1,"results":[{"input_tokens":1,"output_tokens":1}]}]}'),
      /grouped by model/,
    );
  });
});
