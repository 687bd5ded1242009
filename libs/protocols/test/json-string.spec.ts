import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jsonString } from '../src/common/json';

describe('jsonString', () => {
  it('is JSON.stringify of any string: escapes, control characters, lone and paired surrogates (property)', () => {
    const unit = fc.oneof(
      fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u2028', '\ud800', '\udc00', '😀', 'é'),
      fc.string({ unit: 'binary', maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), (s) => {
        assert.equal(jsonString(s), JSON.stringify(s));
      }),
      { numRuns: 2000 },
    );
    for (const s of ['', 'plain text', 'a"b', 'a\\b', '\ud83d\ude00', '\ude00\ud83d'])
      assert.equal(jsonString(s), JSON.stringify(s));
  });
});
