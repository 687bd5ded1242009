import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validate, version } from 'uuid';
import { uuidv7 } from '../src/uuid7';

describe('uuidv7', () => {
  it('is an RFC 9562 version 7 UUID whose first 48 bits are the current Unix milliseconds', () => {
    for (let i = 0; i < 2_000; i++) {
      const before = Date.now();
      const id = uuidv7();
      const after = Date.now();
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.ok(validate(id));
      assert.equal(version(id), 7);
      const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
      assert.ok(ms >= before && ms <= after, `${ms} within [${before}, ${after}]`);
    }
  });

  it('never repeats, and sorts by time across milliseconds', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(uuidv7());
    assert.equal(seen.size, 100_000);
    const first = uuidv7();
    await new Promise((r) => setTimeout(r, 3));
    const later = uuidv7();
    assert.ok(first < later);
  });
});
