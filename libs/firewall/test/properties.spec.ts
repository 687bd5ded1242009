import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Restorer, Scanner, redact } from '../src';
import { VALID, seeded } from '../corpus/generators';

const scanner = new Scanner({ fingerprintKey: 'prop', cache: false });
const ids = Object.keys(VALID);

/** Text made of filler strings and planted valid values of random detectors. */
const plantedText = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(' ', '\n', '"', ': ', '=', ', ', '(', ')', '@', '+1 ', '-----BEGIN '),
      fc
        .tuple(fc.constantFrom(...ids), fc.integer({ min: 1, max: 1_000_000 }))
        .map(([id, seed]) => VALID[id]!(seeded(seed))),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

describe('properties', () => {
  it('findings are in bounds, sorted and non-overlapping, on any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'grapheme', maxLength: 200 }), plantedText),
        (text) => {
          const found = scanner.scan(text);
          let last = 0;
          for (const f of found) {
            assert.ok(f.start >= last && f.start < f.end && f.end <= text.length);
            last = f.end;
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('redact then restore gives back the text, streamed in random chunks too', () => {
    fc.assert(
      fc.property(
        plantedText,
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (text, sizes) => {
          const r = redact(text, scanner.scan(text), { key: 'team' });
          assert.equal(new Restorer(r.mapping).restore(r.text), text);
          const restorer = new Restorer(r.mapping);
          let out = '';
          let i = 0;
          let k = 0;
          while (i < r.text.length) {
            const n = sizes[k++ % sizes.length]!;
            out += restorer.push(r.text.slice(i, i + n));
            i += n;
          }
          out += restorer.flush();
          assert.equal(out, text);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('JSON mode: restored tool arguments parse back to the original values', () => {
    fc.assert(
      fc.property(plantedText, fc.integer({ min: 1, max: 40 }), (text, chunk) => {
        const r = redact(text, scanner.scan(text), { key: 'team' });
        const args = JSON.stringify({ input: r.text });
        const restorer = new Restorer(r.mapping, { mode: 'json' });
        let out = '';
        for (let i = 0; i < args.length; i += chunk) out += restorer.push(args.slice(i, i + chunk));
        out += restorer.flush();
        assert.deepEqual(JSON.parse(out), { input: text });
      }),
      { numRuns: 300 },
    );
  });
});
