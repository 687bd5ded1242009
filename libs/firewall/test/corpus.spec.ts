import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Scanner } from '../src';
import { type CorpusCase, generateCorpus } from '../corpus/generate';

describe('corpus', () => {
  const file = join(__dirname, '../corpus/corpus.jsonl');
  const committed = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as CorpusCase);

  it('the committed corpus is what the generator produces (regenerate with corpus/generate.ts)', () => {
    assert.deepEqual(generateCorpus(), committed);
  });

  it('labels point at their values and every category is present', () => {
    const categories = new Set(committed.map((c) => c.category));
    assert.deepEqual([...categories].sort(), ['hard', 'invalid_checksum', 'mixed', 'near_miss', 'positive']);
    for (const c of committed) {
      for (const l of c.labels) assert.ok(l.start >= 0 && l.end <= c.text.length && l.start < l.end, c.id);
    }
  });

  it('meets the quality targets: overall precision and recall >= 0.97', () => {
    const scanner = new Scanner({ fingerprintKey: 'q', cache: false });
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const c of committed) {
      const found = scanner.scan(c.text);
      const used = new Set<number>();
      for (const f of found) {
        const i = c.labels.findIndex(
          (l, k) => !used.has(k) && l.detector === f.detectorId && l.start < f.end && f.start < l.end,
        );
        if (i >= 0) {
          used.add(i);
          tp++;
        } else fp++;
      }
      fn += c.labels.length - used.size;
    }
    assert.ok(tp / (tp + fp) >= 0.97, `precision ${tp / (tp + fp)}`);
    assert.ok(tp / (tp + fn) >= 0.97, `recall ${tp / (tp + fn)}`);
  });
});
