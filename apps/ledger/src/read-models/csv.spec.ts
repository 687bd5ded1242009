import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCsvExport } from '../accounting/reconciliation/provider-exports';
import { csvField, csvLine, isFormulaLike, parseCsv } from './csv';
import { statementCsvLines, usageCsvLine } from './read-models.service';
import type { Statement } from './statement';

// CSV formula injection (OWASP "CSV Injection"): text a spreadsheet would run as a formula is written as
// '<text>, quoted; numbers and plain numerals (negative amounts) stay numbers.

describe('CSV formula guard', () => {
  it('prefixes text starting with = + - @ tab or CR with a quote and quotes the cell', () => {
    assert.equal(csvField('=1+1'), `"'=1+1"`);
    assert.equal(csvField('+cmd|"/C calc"!A0'), `"'+cmd|""/C calc""!A0"`);
    assert.equal(csvField('-2+3'), `"'-2+3"`);
    assert.equal(csvField('@SUM(A1:A9)'), `"'@SUM(A1:A9)"`);
    assert.equal(csvField('\t=x'), `"'\t=x"`);
    assert.equal(csvField('\r=x'), `"'\r=x"`);
    assert.equal(csvField('=HYPERLINK("http://evil","click")'), `"'=HYPERLINK(""http://evil"",""click"")"`);
    // Only the start of a cell counts; text elsewhere is left as it was.
    assert.equal(csvField('a=b'), 'a=b');
    assert.equal(csvField('gpt-4o'), 'gpt-4o');
  });

  it('leaves numbers and plain numerals alone, negative ones included', () => {
    assert.equal(csvLine([-12_000n, '-0.000012', -5, '12', '-3.5', 0n]), '-12000,-0.000012,-5,12,-3.5,0\r\n');
    for (const s of ['-0.000012', '-1', '-120.5', '42']) assert.equal(isFormulaLike(s), false, s);
    for (const s of ['-1-1', '-1e5', '--1', '-', '+1', '-0.5)', '-A1'])
      assert.equal(isFormulaLike(s), true, s);
  });

  it('guards the text columns of the usage export and keeps its amounts numeric', () => {
    const line = usageCsvLine({
      bucketStart: new Date('2026-11-01T10:00:00Z'),
      teamId: '=cmd|"/C calc"!A0',
      keyId: '@key',
      model: '+model',
      provider: '-provider',
      requests: 3,
      errors: 0,
      inputUncachedTokens: 10,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 5,
      reasoningTokens: 0,
      costNanoUsd: -12_000n,
      providerCostNanoUsd: -11_000n,
      unpricedRequests: 0,
    });
    const [row] = parseCsv(line);
    assert.deepEqual(row, [
      '2026-11-01T10:00:00.000Z',
      `'=cmd|"/C calc"!A0`,
      `'@key`,
      `'+model`,
      `'-provider`,
      '3',
      '0',
      '10',
      '0',
      '0',
      '5',
      '0',
      '-12000',
      '-0.000012',
      '-11000',
      '0',
    ]);
  });

  it('guards model names in a statement and keeps its signed amounts numeric', () => {
    const s: Statement = {
      teamId: 'acme',
      from: new Date('2026-11-01T00:00:00Z'),
      to: new Date('2026-12-01T00:00:00Z'),
      openingNanoUsd: 0n,
      topUpsNanoUsd: 1_000_000n,
      usage: [{ model: '=HYPERLINK("http://evil")', requests: 2, amountNanoUsd: 12_000n }],
      usageNanoUsd: 12_000n,
      correctionsNanoUsd: -3_000n,
      expiriesNanoUsd: 0n,
      overdraftNanoUsd: 0n,
      marketplaceNanoUsd: 0n,
      otherNanoUsd: 0n,
      closingNanoUsd: 985_000n,
    };
    const rows = parseCsv(statementCsvLines(s).join(''));
    const usage = rows.find((r) => r[0] === 'usage');
    assert.deepEqual(usage, ['usage', `'=HYPERLINK("http://evil")`, '2', '-12000', '-0.000012']);
    assert.deepEqual(
      rows.find((r) => r[0] === 'corrections'),
      ['corrections', '', '', '-3000', '-0.000003'],
    );
  });

  it('does not change how CSVs are read (the reconciliation reads providers’ exports as written)', () => {
    assert.deepEqual(parseCsv(`a,=b,-1,'c\r\n`), [['a', '=b', '-1', "'c"]]);
    const rows = parseCsvExport(
      'date,model,input_tokens,output_tokens,cost_usd\n2026-11-01,=gpt-4o,12,3,0.000045\n',
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.model, '=gpt-4o');
    assert.equal(rows[0]?.costNanoUsd, 45_000n);
  });
});
