import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ResponseDigest, sha256Hex } from './response-digest';

const reference = (parts: Buffer[]): string =>
  createHash('sha256').update(Buffer.concat(parts)).digest('hex');

describe('ResponseDigest', () => {
  it('hashes no write, one write and many writes as SHA-256 of the bytes', () => {
    assert.equal(new ResponseDigest().hex(), reference([]));
    const one = new ResponseDigest();
    one.update('{"answer":"héllo"}');
    assert.equal(one.hex(), reference([Buffer.from('{"answer":"héllo"}')]));
    const many = new ResponseDigest();
    const parts: Buffer[] = [];
    for (const [chunk, enc] of [
      ['data: {"a":1}\n\n', undefined],
      [Buffer.from('data: {"b":"ü"}\n\n'), undefined],
      ['caf\u00e9', 'latin1'],
      ['data: [DONE]\n\n', 'utf8'],
    ] as const) {
      many.update(chunk, enc);
      parts.push(typeof chunk === 'string' ? Buffer.from(chunk, enc ?? 'utf8') : chunk);
      assert.equal(many.hex(), reference(parts), `after ${parts.length} writes`);
    }
  });

  it('keeps hashing after a digest was read (writes after a hang-up)', () => {
    const d = new ResponseDigest();
    d.update('a');
    assert.equal(d.hex(), reference([Buffer.from('a')]));
    d.update(Buffer.from('b'));
    assert.equal(d.hex(), reference([Buffer.from('ab')]));
    d.update('c');
    assert.equal(d.hex(), reference([Buffer.from('abc')]));
  });

  it('sha256Hex reads strings as UTF-8', () => {
    assert.equal(sha256Hex('ü'), reference([Buffer.from('ü', 'utf8')]));
  });
});
