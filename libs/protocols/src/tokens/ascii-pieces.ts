// o200k's pre-tokenizer for ASCII text, without its regular expression.
//
// gpt-tokenizer splits text with o200k's pattern (a Unicode regex, one match array per piece), then
// looks every piece up in its 200,000-entry rank table. For ASCII text this walks the same pattern by
// hand and hands each piece's end to the caller; the pieces are the regex's matches exactly (a
// property test compares them on arbitrary ASCII), so counting them gives gpt-tokenizer's count.
//
// The pattern, alternatives tried in order at each position (ASCII: letters A-Z a-z, digits 0-9,
// whitespace \t \n \v \f \r and space):
//   A  [^\r\n\p{L}\p{N}]?[\p{Lu}…]*[\p{Ll}…]+('s|'t|'re|'ve|'m|'ll|'d)?   (contractions in any case)
//   B  [^\r\n\p{L}\p{N}]?[\p{Lu}…]+[\p{Ll}…]*('s|…)?
//   C  \p{N}{1,3}
//   D   ?[^\s\p{L}\p{N}]+[\r\n/]*
//   E  \s*[\r\n]+
//   F  \s+(?!\S)
//   G  \s+

const UPPER = 1;
const LOWER = 2;
const DIGIT = 4;
const SPACE = 8; // \s
const NEWLINE = 16; // \r \n
const PUNCT = 32; // [^\s\p{L}\p{N}]: neither whitespace, letter nor digit (control characters too)

const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c >= 65 && c <= 90) CLASS[c] = UPPER;
  else if (c >= 97 && c <= 122) CLASS[c] = LOWER;
  else if (c >= 48 && c <= 57) CLASS[c] = DIGIT;
  else if (c === 10 || c === 13) CLASS[c] = SPACE | NEWLINE;
  else if (c === 9 || c === 11 || c === 12 || c === 32) CLASS[c] = SPACE;
  else CLASS[c] = PUNCT;
}

/** True when every UTF-16 unit of `text` is ASCII (the walk below is exact only there). */
export const isAscii = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) return false;
  return true;
};

const classAt = (s: string, i: number): number => (i < s.length ? CLASS[s.charCodeAt(i)]! : 0);

/** End of an optional contraction suffix at `i` ('s 't 're 've 'm 'll 'd, any case). */
function contraction(s: string, i: number): number {
  if (s.charCodeAt(i) !== 39) return i;
  const a = s.charCodeAt(i + 1) | 0x20; // lower case (harmless for non-letters: compared to letters only)
  if (a === 115 || a === 100 || a === 109 || a === 116) return i + 2; // s d m t
  const b = s.charCodeAt(i + 2) | 0x20;
  if ((a === 108 && b === 108) || (a === 118 && b === 101) || (a === 114 && b === 101)) return i + 3; // ll ve re
  return i;
}

/**
 * The end of the piece that starts at `i` in ASCII `s` (i < s.length): the end of the regex's match
 * there.
 */
export function asciiPieceEnd(s: string, i: number): number {
  const c = CLASS[s.charCodeAt(i)]!;
  // A and B: an optional prefix (anything but a newline, letter or digit), then letters.
  const start = c & (UPPER | LOWER | DIGIT | NEWLINE) ? i : i + 1;
  if (start === i + 1 || c & (UPPER | LOWER)) {
    let k = start;
    while (classAt(s, k) === UPPER) k++;
    let m = k;
    while (classAt(s, m) === LOWER) m++;
    if (m > k) return contraction(s, m); // A: upper case letters, then at least one lower case one
    if (k > start) return contraction(s, k); // B: upper case letters only
  }
  // C: one to three digits.
  if (c === DIGIT) {
    let k = i + 1;
    while (k < i + 3 && classAt(s, k) === DIGIT) k++;
    return k;
  }
  // D: an optional space, punctuation, then any of \r \n and '/'.
  const p = s.charCodeAt(i) === 32 && classAt(s, i + 1) === PUNCT ? i + 1 : c === PUNCT ? i : -1;
  if (p >= 0) {
    let k = p + 1;
    while (classAt(s, k) === PUNCT) k++;
    while (classAt(s, k) & NEWLINE || s.charCodeAt(k) === 47) k++;
    return k;
  }
  // Whitespace from here on (c & SPACE): the run and its last newline.
  let w = i;
  let lastNewline = -1;
  while (w < s.length && CLASS[s.charCodeAt(w)]! & SPACE) {
    if (CLASS[s.charCodeAt(w)]! & NEWLINE) lastNewline = w;
    w++;
  }
  if (lastNewline >= 0) return lastNewline + 1; // E
  if (w === s.length || w - i === 1) return w; // F at the end of the text, or G for a single character
  return w - 1; // F: the run but its last character, which goes with what follows
}
