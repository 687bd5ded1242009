import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { countTextTokens } from '../src';
import { asciiPieceEnd, isAscii } from '../src/tokens/ascii-pieces';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { O200K_TOKEN_SPLIT_REGEX } = require('gpt-tokenizer/cjs/encodingParams/constants') as {
  O200K_TOKEN_SPLIT_REGEX: RegExp;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const o200k = require('gpt-tokenizer/cjs/encoding/o200k_base') as { countTokens: (t: string) => number };

const regexPieces = (text: string): string[] => [...text.matchAll(O200K_TOKEN_SPLIT_REGEX)].map((m) => m[0]);
const walkedPieces = (text: string): string[] => {
  const out: string[] = [];
  for (let i = 0; i < text.length;) {
    const end = asciiPieceEnd(text, i);
    assert.ok(end > i, `progress at ${i}`);
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
};

// Every ASCII character, weighted towards what the pattern distinguishes: letters of both cases,
// contractions, digits, spaces, tabs, newlines, punctuation, '/', control characters.
const fragment = fc.oneof(
  fc.constantFrom(
    ' ',
    '  ',
    '\t',
    '\n',
    '\r\n',
    '\r',
    '\v',
    '\f',
    "'s",
    "'S",
    "'ll",
    "'LL",
    "'ve",
    "'Re",
    "'d",
    "'m",
    "'t",
    "'",
    '/',
    '//',
    '...',
    '!?',
    ' (',
    '\x00',
    '\x1f',
    '\x7f',
    '123',
    '4567',
    'HTTPServer',
    'Hello',
    'WORLD',
    'a',
    'Z',
    'iPhone',
    'x',
    ' the',
    '=>',
    '<',
    '|',
    '<|',
  ),
  fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)), maxLength: 6 }),
);
const asciiText = fc.array(fragment, { maxLength: 40 }).map((parts) => parts.join(''));

describe("o200k's pre-tokenizer for ASCII (ascii-pieces.ts)", () => {
  it("splits any ASCII text into exactly the regex's pieces (property)", () => {
    fc.assert(
      fc.property(asciiText, (text) => {
        assert.deepEqual(walkedPieces(text), regexPieces(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('splits real text as the regex does', () => {
    const samples = [
      "The quick brown fox jumps over the lazy dog's back. It's 12345 o'clock; we'll see!\n\n",
      'export function parsePairs(text: string): Map<string, string> {\n  const out = new Map();\n}\n',
      '   leading spaces\tand\ttabs  \r\n  trailing   ',
      'URL: https://example.com/a/b?c=d&e=f // comment\n/* block */',
      "DON'T SHOUT, I'M HERE. HTTPServer iOS XMLHttpRequest\n\n\n",
    ];
    for (const text of samples) assert.deepEqual(walkedPieces(text), regexPieces(text));
  });

  it('isAscii', () => {
    assert.equal(isAscii('plain text\n\t~'), true);
    assert.equal(isAscii('café'), false);
    assert.equal(isAscii('emoji 🙂'), false);
  });
});

describe('countTextTokens', () => {
  it("gives gpt-tokenizer's count for any text, ASCII or not (property)", () => {
    const anyText = fc.oneof(
      asciiText,
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.string({ maxLength: 60 }),
    );
    fc.assert(
      fc.property(anyText, (text) => {
        // Special tokens are refused by both in the same way.
        let expected: number | Error;
        try {
          expected = o200k.countTokens(text);
        } catch (err) {
          expected = err as Error;
        }
        if (expected instanceof Error) assert.throws(() => countTextTokens(text));
        else assert.equal(countTextTokens(text), expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('counts long pieces (past the remembered length) and repeated texts the same', () => {
    const text = `${'='.repeat(200)}\n${'x'.repeat(100)} ${'-'.repeat(64)}`;
    assert.equal(countTextTokens(text), o200k.countTokens(text));
    assert.equal(countTextTokens(text), o200k.countTokens(text));
  });
});
