// Offline checks carried by the formats themselves. Each function is total: it returns false (or null)
// on malformed input instead of throwing, because the scanner calls them on arbitrary candidates.
import { createHash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3';

const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, the zlib one) of the UTF-8 bytes of an ASCII string. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    crc = (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Base62 (0-9A-Za-z) of a non-negative integer, left-padded with '0' to `width`. */
export function base62(value: number, width: number): string {
  let out = '';
  let n = value;
  while (n > 0) {
    out = BASE62.charAt(n % 62) + out;
    n = Math.floor(n / 62);
  }
  return out.padStart(width, '0');
}

/**
 * GitHub (2021 format) and npm tokens: `<prefix><30 base62 random><6 base62 CRC32 of the random part>`.
 * `body` is the 36 characters after the prefix.
 */
export function isValidCrc32Base62Token(body: string): boolean {
  if (body.length !== 36) return false;
  const random = body.slice(0, 30);
  return base62(crc32(random), 6) === body.slice(30);
}

/**
 * GitLab routable tokens: `<prefix><base64url payload>.<2 base36 version>.<2 base36 payload length><7 base36
 * CRC32 of everything before it, prefix included>`.
 */
export function isValidGitlabRoutableToken(token: string): boolean {
  if (token.length < 12) return false;
  const crcPart = token.slice(-7);
  const signed = token.slice(0, -7);
  if (!/^[0-9a-z]{7}$/.test(crcPart)) return false;
  if (crc32(signed).toString(36).padStart(7, '0') !== crcPart) return false;
  // The declared payload length must match the payload actually present.
  const m = /^[a-z]{2,8}-([A-Za-z0-9_-]{1,400})\.([0-9a-z]{2})\.([0-9a-z]{2})$/.exec(signed);
  if (!m) return false;
  return parseInt(m[3] ?? '', 36) === (m[1] ?? '').length;
}

/** Luhn mod-10 over a string of digits. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

export type CardBrand =
  'visa' | 'mastercard' | 'amex' | 'discover' | 'jcb' | 'diners' | 'unionpay' | 'maestro';

/** Issuer (IIN) ranges and the lengths each issuer uses; null when the number belongs to none. */
export function cardBrand(digits: string): CardBrand | null {
  const len = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if (digits.startsWith('4')) return len === 13 || len === 16 || len === 19 ? 'visa' : null;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return len === 16 ? 'mastercard' : null;
  if (p2 === 34 || p2 === 37) return len === 15 ? 'amex' : null;
  if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || (p6 >= 622126 && p6 <= 622925))
    return len >= 16 && len <= 19 ? 'discover' : null;
  if (p4 >= 3528 && p4 <= 3589) return len >= 16 && len <= 19 ? 'jcb' : null;
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39)
    return len >= 14 && len <= 19 ? 'diners' : null;
  if (p2 === 62) return len >= 16 && len <= 19 ? 'unionpay' : null;
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return len >= 12 && len <= 19 ? 'maestro' : null;
  return null;
}

/** A payment card number: issuer range, issuer length and Luhn. */
export function isValidCard(digits: string): boolean {
  return /^\d{12,19}$/.test(digits) && cardBrand(digits) !== null && luhn(digits);
}

/** IBAN length per country (ISO 13616 registry). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

/** IBAN: country length and ISO 7064 mod-97-10 check digits. `iban` is compact (no spaces), upper case. */
export function isValidIban(iban: string): boolean {
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected === undefined || iban.length !== expected || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban))
    return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 65) {
      const v = c - 55;
      rem = (rem * 100 + v) % 97;
    } else {
      rem = (rem * 10 + (c - 48)) % 97;
    }
  }
  return rem === 1;
}

const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** Verhoeff check over a digit string whose last digit is the check digit. */
export function verhoeff(digits: string): boolean {
  let c = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (d < 0 || d > 9) return false;
    c = VERHOEFF_D[c]?.[VERHOEFF_P[i % 8]?.[d] ?? 0] ?? 0;
  }
  return c === 0;
}

/** India Aadhaar: 12 digits, not starting with 0 or 1, Verhoeff check digit. */
export function isValidAadhaar(digits: string): boolean {
  return /^[2-9]\d{11}$/.test(digits) && verhoeff(digits);
}

/** India PAN: 5 letters (4th = holder type), 4 digits, 1 letter. No check digit exists. */
export function isValidPan(pan: string): boolean {
  return /^[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]$/.test(pan);
}

/** US SSN: area 001-899 except 666, group 01-99, serial 0001-9999; well-known advertising numbers rejected. */
export function isValidSsn(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const area = Number(digits.slice(0, 3));
  const group = Number(digits.slice(3, 5));
  const serial = Number(digits.slice(5));
  if (area === 0 || area === 666 || area >= 900 || group === 0 || serial === 0) return false;
  // Numbers printed in advertisements and documentation, never issued to a person (SSA).
  return digits !== '078051120' && digits !== '219099999' && digits !== '123456789';
}

function isValidDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days;
}

/** China resident identity card: 6-digit region, YYYYMMDD birth date, 3-digit sequence, ISO 7064 MOD 11-2. */
export function isValidChinaId(id: string): boolean {
  if (!/^[1-9]\d{16}[\dX]$/.test(id)) return false;
  const year = Number(id.slice(6, 10));
  if (year < 1900 || year > 2100 || !isValidDate(year, Number(id.slice(10, 12)), Number(id.slice(12, 14))))
    return false;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (id.charCodeAt(i) - 48) * (weights[i] ?? 0);
  return '10X98765432'.charAt(sum % 11) === id.charAt(17);
}

/** UK NHS number: 10 digits, mod-11 with weights 10..2; a check value of 10 is never issued. */
export function isValidNhs(digits: string): boolean {
  if (!/^\d{10}$/.test(digits) || /^(\d)\1{9}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * (10 - i);
  let check = 11 - (sum % 11);
  if (check === 11) check = 0;
  if (check === 10) return false;
  return check === digits.charCodeAt(9) - 48;
}

/**
 * UK National Insurance number: two prefix letters (D, F, I, Q, U, V never; O never second; BG, GB, KN, NK,
 * NT, TN, ZZ never allocated), six digits, suffix A-D. The format has no check digit.
 */
export function isValidNino(nino: string): boolean {
  if (!/^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$/.test(nino)) return false;
  return !['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'].includes(nino.slice(0, 2));
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/** Spain DNI (8 digits + letter) and NIE (X/Y/Z + 7 digits + letter): mod-23 control letter. */
export function isValidSpanishId(id: string): boolean {
  let m = /^(\d{8})([A-Z])$/.exec(id);
  if (m) return DNI_LETTERS.charAt(Number(m[1]) % 23) === m[2];
  m = /^([XYZ])(\d{7})([A-Z])$/.exec(id);
  if (!m) return false;
  const lead = String('XYZ'.indexOf(m[1] ?? ''));
  return DNI_LETTERS.charAt(Number(lead + (m[2] ?? '')) % 23) === m[3];
}

const CF_ODD: Readonly<Record<string, number>> = {
  '0': 1,
  '1': 0,
  '2': 5,
  '3': 7,
  '4': 9,
  '5': 13,
  '6': 15,
  '7': 17,
  '8': 19,
  '9': 21,
  A: 1,
  B: 0,
  C: 5,
  D: 7,
  E: 9,
  F: 13,
  G: 15,
  H: 17,
  I: 19,
  J: 21,
  K: 2,
  L: 4,
  M: 18,
  N: 20,
  O: 11,
  P: 3,
  Q: 6,
  R: 8,
  S: 12,
  T: 14,
  U: 16,
  V: 10,
  W: 22,
  X: 25,
  Y: 24,
  Z: 23,
};

/** Italy codice fiscale: 16 characters (omocodia letters allowed in digit positions), control character. */
export function isValidCodiceFiscale(cf: string): boolean {
  if (!/^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/.test(cf))
    return false;
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const ch = cf.charAt(i);
    if (i % 2 === 0) sum += CF_ODD[ch] ?? 0;
    else {
      const c = ch.charCodeAt(0);
      sum += c <= 57 ? c - 48 : c - 65;
    }
  }
  return String.fromCharCode(65 + (sum % 26)) === cf.charAt(15);
}

/** Brazil CPF: 11 digits, two mod-11 check digits, repeated-digit numbers rejected. */
export function isValidCpf(digits: string): boolean {
  if (!/^\d{11}$/.test(digits) || /^(\d)\1{10}$/.test(digits)) return false;
  for (const len of [9, 10]) {
    let sum = 0;
    for (let i = 0; i < len; i++) sum += (digits.charCodeAt(i) - 48) * (len + 1 - i);
    const check = ((sum * 10) % 11) % 10;
    if (check !== digits.charCodeAt(len) - 48) return false;
  }
  return true;
}

/** Brazil CNPJ: 14 digits, two mod-11 check digits with weights 5..2,9..2 and 6..2,9..2. */
export function isValidCnpj(digits: string): boolean {
  if (!/^\d{14}$/.test(digits) || /^(\d)\1{13}$/.test(digits)) return false;
  const w1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
  const w2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
  for (const w of [w1, w2]) {
    let sum = 0;
    for (let i = 0; i < w.length; i++) sum += (digits.charCodeAt(i) - 48) * (w[i] ?? 0);
    const r = sum % 11;
    const check = r < 2 ? 0 : 11 - r;
    if (check !== digits.charCodeAt(w.length) - 48) return false;
  }
  return true;
}

/** Netherlands BSN: 9 digits, the "11-proef" (weights 9..2 and -1). */
export function isValidBsn(digits: string): boolean {
  if (!/^\d{9}$/.test(digits) || digits === '000000000') return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (digits.charCodeAt(i) - 48) * (9 - i);
  sum -= digits.charCodeAt(8) - 48;
  return sum % 11 === 0;
}

/**
 * South Korea resident registration number (YYMMDD-SNNNNNC): birth date, sex/century digit, and the mod-11
 * check digit. Numbers issued since October 2020 carry no check digit; they fail here by design (a 1 in 10
 * chance of passing) because an unchecked 13-digit shape would flag too many ordinary numbers.
 */
export function isValidKoreaRrn(digits: string): boolean {
  if (!/^\d{13}$/.test(digits)) return false;
  const s = digits.charCodeAt(6) - 48;
  const century = s === 9 || s === 0 ? 1800 : s <= 2 || s === 5 || s === 6 ? 1900 : 2000;
  if (
    !isValidDate(century + Number(digits.slice(0, 2)), Number(digits.slice(2, 4)), Number(digits.slice(4, 6)))
  )
    return false;
  const weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += (digits.charCodeAt(i) - 48) * (weights[i] ?? 0);
  return (11 - (sum % 11)) % 10 === digits.charCodeAt(12) - 48;
}

/** Singapore NRIC/FIN (S, T, F, G, M series): weighted sum with a series offset, check letter. */
export function isValidNric(id: string): boolean {
  const m = /^([STFGM])(\d{7})([A-Z])$/.exec(id);
  if (!m) return false;
  const series = m[1] ?? '';
  const digits = m[2] ?? '';
  const weights = [2, 7, 6, 5, 4, 3, 2];
  let sum = 0;
  for (let i = 0; i < 7; i++) sum += (digits.charCodeAt(i) - 48) * (weights[i] ?? 0);
  if (series === 'T' || series === 'G') sum += 4;
  if (series === 'M') sum += 3;
  const r = sum % 11;
  const table =
    series === 'S' || series === 'T' ? 'JZIHGFEDCBA' : series === 'M' ? 'KLJNPQRTUWX' : 'XWUTRQPNMLK';
  const letter = series === 'M' ? table.charAt(10 - r) : table.charAt(r);
  return letter === m[3];
}

// --- Bech32 / Bech32m (BIP-173 / BIP-350) -------------------------------------------------------------

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function bech32Polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = (((chk & 0x1ffffff) << 5) ^ v) >>> 0;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk = (chk ^ (BECH32_GEN[i] ?? 0)) >>> 0;
  }
  return chk;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

export type Bech32Encoding = 'bech32' | 'bech32m';
export interface Bech32Decoded {
  hrp: string;
  /** 5-bit words, checksum removed. */
  words: number[];
  encoding: Bech32Encoding;
}

/** Decodes and verifies a Bech32 or Bech32m string (mixed case rejected); null when invalid. */
export function bech32Decode(input: string, maxLength = 1023): Bech32Decoded | null {
  if (input.length > maxLength) return null;
  const lower = input.toLowerCase();
  if (input !== lower && input !== input.toUpperCase()) return null;
  const sep = lower.lastIndexOf('1');
  if (sep < 1 || sep + 7 > lower.length) return null;
  const hrp = lower.slice(0, sep);
  const words: number[] = [];
  for (let i = sep + 1; i < lower.length; i++) {
    const v = BECH32_CHARSET.indexOf(lower.charAt(i));
    if (v < 0) return null;
    words.push(v);
  }
  const check = bech32Polymod([...hrpExpand(hrp), ...words]);
  const encoding: Bech32Encoding | null = check === 1 ? 'bech32' : check === 0x2bc830a3 ? 'bech32m' : null;
  if (!encoding) return null;
  return { hrp, words: words.slice(0, -6), encoding };
}

/** Encodes 5-bit words as Bech32/Bech32m (used by the corpus generator and tests). */
export function bech32Encode(hrp: string, words: number[], encoding: Bech32Encoding): string {
  const values = [...hrpExpand(hrp), ...words, 0, 0, 0, 0, 0, 0];
  const mod = bech32Polymod(values) ^ (encoding === 'bech32' ? 1 : 0x2bc830a3);
  let out = hrp + '1';
  for (const w of words) out += BECH32_CHARSET.charAt(w);
  for (let i = 0; i < 6; i++) out += BECH32_CHARSET.charAt((mod >>> (5 * (5 - i))) & 31);
  return out;
}

/** Regroups bits (8 -> 5 or 5 -> 8); null when padding is invalid. */
export function convertBits(data: number[], from: number, to: number, pad: boolean): number[] | null {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const maxv = (1 << to) - 1;
  for (const value of data) {
    if (value < 0 || value >> from !== 0) return null;
    acc = (acc << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & maxv);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & maxv);
  } else if (bits >= from || ((acc << (to - bits)) & maxv) !== 0) {
    return null;
  }
  return out;
}

/** age X25519 identity: `AGE-SECRET-KEY-1` + Bech32 of 32 bytes. */
export function isValidAgeSecretKey(key: string): boolean {
  const d = bech32Decode(key);
  if (!d || d.hrp !== 'age-secret-key-' || d.encoding !== 'bech32') return false;
  const bytes = convertBits(d.words, 5, 8, false);
  return bytes !== null && bytes.length === 32;
}

/** Bitcoin SegWit address (BIP-173/350): hrp bc/tb, witness version rules and program length. */
export function isValidBitcoinBech32(address: string): boolean {
  const d = bech32Decode(address, 90);
  if (!d || (d.hrp !== 'bc' && d.hrp !== 'tb') || d.words.length < 1) return false;
  const version = d.words[0] ?? -1;
  if (version > 16) return false;
  if ((version === 0) !== (d.encoding === 'bech32')) return false;
  const program = convertBits(d.words.slice(1), 5, 8, false);
  if (!program || program.length < 2 || program.length > 40) return false;
  return version !== 0 || program.length === 20 || program.length === 32;
}

// --- Base58Check ------------------------------------------------------------------------------------

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export function base58Decode(input: string): Uint8Array | null {
  let bytes: number[] = [0];
  for (let i = 0; i < input.length; i++) {
    const v = BASE58.indexOf(input.charAt(i));
    if (v < 0) return null;
    let carry = v;
    for (let j = 0; j < bytes.length; j++) {
      carry += (bytes[j] ?? 0) * 58;
      bytes[j] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  let zeros = 0;
  while (zeros < input.length && input.charAt(zeros) === '1') zeros++;
  bytes = bytes.reverse();
  while (bytes.length > 0 && bytes[0] === 0) bytes.shift();
  return Uint8Array.from([...new Array<number>(zeros).fill(0), ...bytes]);
}

export function base58Encode(data: Uint8Array): string {
  const digits: number[] = [0];
  for (const byte of data) {
    let carry = byte;
    for (let j = 0; j < digits.length; j++) {
      carry += (digits[j] ?? 0) << 8;
      digits[j] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }
  let out = '';
  for (const byte of data) {
    if (byte !== 0) break;
    out += '1';
  }
  const allZero = digits.length === 1 && digits[0] === 0;
  if (!allZero) for (let i = digits.length - 1; i >= 0; i--) out += BASE58.charAt(digits[i] ?? 0);
  return out;
}

export function sha256d(data: Uint8Array): Buffer {
  return createHash('sha256').update(createHash('sha256').update(data).digest()).digest();
}

/** Bitcoin legacy (P2PKH `1…`) and P2SH (`3…`) addresses: Base58Check, 25 bytes, version 0x00 or 0x05. */
export function isValidBitcoinBase58(address: string): boolean {
  if (address.length < 26 || address.length > 35) return false;
  const bytes = base58Decode(address);
  if (!bytes || bytes.length !== 25) return false;
  if (bytes[0] !== 0x00 && bytes[0] !== 0x05) return false;
  const check = sha256d(bytes.subarray(0, 21)).subarray(0, 4);
  return Buffer.from(bytes.subarray(21)).equals(check);
}

/**
 * Ethereum address with the EIP-55 mixed-case checksum. All-lower or all-upper addresses carry no
 * checksum; they are accepted only when `allowUnchecksummed` (the scanner accepts them as plain hex shape).
 */
export function isValidEthereumAddress(address: string, allowUnchecksummed = true): boolean {
  const m = /^0x([0-9a-fA-F]{40})$/.exec(address);
  if (!m) return false;
  const hex = m[1] ?? '';
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return allowUnchecksummed && !/^0+$/.test(hex);
  return toEip55(hex) === hex;
}

/** EIP-55 casing of a 40-hex-digit address body. */
export function toEip55(hex: string): string {
  const lower = hex.toLowerCase();
  const hash = Buffer.from(keccak_256(lower)).toString('hex');
  let out = '';
  for (let i = 0; i < 40; i++) {
    const ch = lower.charAt(i);
    out += parseInt(hash.charAt(i), 16) >= 8 ? ch.toUpperCase() : ch;
  }
  return out;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Decodes base64url (or base64) into a UTF-8 string; null when not decodable. */
export function base64UrlDecode(input: string): string | null {
  if (!/^[A-Za-z0-9_\-+/]*={0,2}$/.test(input)) return null;
  try {
    return Buffer.from(input.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  } catch {
    return null;
  }
}

/** A JWT whose header decodes to a JSON object naming `alg` and whose payload decodes to a JSON object. */
export function isDecodableJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const header = base64UrlDecode(parts[0] ?? '');
  const payload = base64UrlDecode(parts[1] ?? '');
  if (header === null || payload === null) return false;
  try {
    const h: unknown = JSON.parse(header);
    const p: unknown = JSON.parse(payload);
    return (
      typeof h === 'object' &&
      h !== null &&
      typeof (h as Record<string, unknown>)['alg'] === 'string' &&
      typeof p === 'object' &&
      p !== null &&
      !Array.isArray(p)
    );
  } catch {
    return false;
  }
}
