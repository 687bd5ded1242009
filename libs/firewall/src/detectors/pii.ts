// Personal data. Numbers are reached from digit-led token starts and identifiers from upper-case ones; each
// detector checks its shape with an anchored regex and then the format's own checksum or structure.
// Formats whose checksum passes for one random number in ten or eleven (NHS, Aadhaar, CPF, CNPJ, BSN, SSN)
// are accepted in their printed grouping, or as bare digits only next to a naming keyword.
import { isIPv6 } from 'node:net';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import {
  IBAN_LENGTHS,
  isValidAadhaar,
  isValidBitcoinBase58,
  isValidBitcoinBech32,
  isValidBsn,
  isValidCard,
  isValidChinaId,
  isValidCnpj,
  isValidCodiceFiscale,
  isValidCpf,
  isValidEthereumAddress,
  isValidIban,
  isValidKoreaRrn,
  isValidNhs,
  isValidNino,
  isValidNric,
  isValidPan,
  isValidSpanishId,
  isValidSsn,
} from '../validators/checksums';
import { type DefBase, type DetectorDef, info } from './detector-def';

const END = '(?![A-Za-z0-9_]|[.\\-/][0-9])';

function context(text: string, pos: number, re: RegExp): boolean {
  return re.test(text.slice(Math.max(0, pos - 48), pos).toLowerCase());
}

interface NumberSpec extends DefBase {
  /** Sticky alternatives tried in order; the first that matches and validates wins. */
  patterns: { re: RegExp; needsContext?: RegExp }[];
  validate: (compact: string) => boolean;
  /** Characters removed before validation. */
  strip?: RegExp;
  minDigits: number;
  triggers?: DetectorDef['triggers'];
}

function numeric(spec: NumberSpec): DetectorDef {
  const compiled = spec.patterns.map((p) => ({
    re: new RegExp(p.re.source, 'y'),
    needsContext: p.needsContext,
  }));
  const strip = spec.strip ?? /[\s.\-/]/g;
  return {
    ...info({ ...spec, kind: 'pii' }),
    tier: 1,
    minDigits: spec.minDigits,
    triggers: spec.triggers ?? [{ type: 'digit' }],
    find(text, pos) {
      for (const p of compiled) {
        p.re.lastIndex = pos;
        const m = p.re.exec(text);
        if (!m) continue;
        if (p.needsContext && !context(text, pos, p.needsContext)) continue;
        if (spec.validate(m[0].replace(strip, ''))) return { start: pos, end: pos + m[0].length };
      }
      return null;
    },
  };
}

const email: DetectorDef = (() => {
  const localChar = /[A-Za-z0-9._%+-]/;
  const domainRe = /[A-Za-z0-9.-]{1,253}/y;
  const NON_PERSONAL_DOMAIN = /(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localhost|local)$/i;
  const FILE_TLD =
    /^(?:png|jpe?g|gif|svg|webp|ico|js|mjs|cjs|ts|tsx|jsx|css|scss|json|map|md|txt|html?|lock|ya?ml|toml|py|rb|go|rs|java|wasm)$/i;
  return {
    ...info({
      id: 'email',
      kind: 'pii',
      label: 'EMAIL',
      description:
        'e-mail address: local part, `@`, dotted domain with an alphabetic TLD; documentation domains (example.com, .test, .invalid, localhost), git@ and asset names like icon@2x.png excluded',
      check: 'structure',
    }),
    tier: 1,
    triggers: [{ type: 'literal', literal: '@' }],
    find(text, pos) {
      let s = pos;
      while (s > 0 && pos - s < 64 && localChar.test(text.charAt(s - 1))) s--;
      while (s < pos && !/[A-Za-z0-9]/.test(text.charAt(s))) s++;
      if (s === pos) return null;
      const local = text.slice(s, pos);
      if (local === 'git' || local.includes('..')) return null;
      domainRe.lastIndex = pos + 1;
      const d = domainRe.exec(text);
      if (!d) return null;
      let domain = d[0];
      while (domain.endsWith('.') || domain.endsWith('-')) domain = domain.slice(0, -1);
      const labels = domain.split('.');
      if (labels.length < 2) return null;
      if (labels.some((l) => l.length === 0 || l.length > 63 || l.startsWith('-') || l.endsWith('-')))
        return null;
      const tld = labels[labels.length - 1] ?? '';
      if (!/^[A-Za-z]{2,24}$/.test(tld) || FILE_TLD.test(tld) || NON_PERSONAL_DOMAIN.test(domain))
        return null;
      return { start: s, end: pos + 1 + domain.length };
    },
  };
})();

const NOT_PHONE_CONTEXT = /nhs|ssn|bsn|aadhaar|cpf|cnpj|rrn|invoice|order|account|iban|card/;
const DATE_LIKE = /^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})(?![0-9])/;

function phoneDetector(): DetectorDef {
  const intl = /\+[1-9][0-9 ().-]{6,20}[0-9](?![0-9A-Za-z_])/y;
  const national =
    /(?:\([0-9]{2,5}\) ?|[0-9]{2,5}[-. ])[0-9]{2,5}(?:[-. ][0-9]{2,5}){0,2}(?![0-9A-Za-z_]|[-.][0-9])/y;
  return {
    ...info({
      id: 'phone',
      kind: 'pii',
      label: 'PHONE',
      description:
        'phone number validated per country with libphonenumber-js (full metadata): international `+CC …` numbers, or grouped national numbers of the configured regions (default US)',
      check: 'structure',
    }),
    tier: 1,
    triggers: [{ type: 'digit' }],
    find(text, pos, ctx) {
      const c = text.charAt(pos);
      const re = c === '+' ? intl : national;
      re.lastIndex = pos;
      const m = re.exec(text);
      if (!m) return null;
      const candidate = m[0];
      const digits = candidate.replace(/\D/g, '');
      if (digits.length < 7 || digits.length > 15 || DATE_LIKE.test(candidate)) return null;
      // Followed by `:` it is a timestamp (`2024-01-05 12:30`) or a port, not a number to dial.
      if (text.charCodeAt(pos + candidate.length) === 58) return null;
      if (c === '+') {
        const n = parsePhoneNumberFromString(candidate);
        return n?.isValid() ? { start: pos, end: pos + candidate.length } : null;
      }
      // A grouped number named as another identifier ("NHS number 943 476 5919") is not a phone number.
      if (context(text, pos, NOT_PHONE_CONTEXT)) return null;
      // National numbers are written in three groups or more, or with a bracketed area code; two groups
      // are a decimal (`27398.63`) or a range far more often than a phone number.
      if (!candidate.startsWith('(') && candidate.split(/[-. ]/).length < 3) return null;
      for (const region of ctx.phoneRegions) {
        const n = parsePhoneNumberFromString(candidate, region as CountryCode);
        if (n?.isValid()) return { start: pos, end: pos + candidate.length };
      }
      return null;
    },
  };
}

function isPrivateIpv4(parts: number[]): boolean {
  const [a = 0, b = 0, c = 0] = parts;
  return (
    a === 10 ||
    a === 127 ||
    a === 0 ||
    a >= 224 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 192 && b === 0 && c === 2) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    (a === 198 && (b === 18 || b === 19))
  );
}

const ipv4: DetectorDef = (() => {
  const re =
    /(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}(?![0-9A-Za-z_]|\.[0-9])/y;
  return {
    ...info({
      id: 'ipv4',
      kind: 'pii',
      label: 'IP_ADDRESS',
      description:
        'IPv4 address (octets 0–255, not part of a longer dotted version string); private, loopback, link-local, CGNAT, multicast and documentation ranges skipped unless `includePrivateIps`',
      check: 'structure',
    }),
    tier: 1,
    triggers: [{ type: 'digit', fewDigits: 'dotted' }],
    find(text, pos, ctx) {
      const prev = text.charCodeAt(pos - 1);
      if (prev === 46 || (prev >= 48 && prev <= 57)) return null;
      // A dot within the first four characters, or this is no dotted quad.
      if (
        text.charCodeAt(pos + 1) !== 46 &&
        text.charCodeAt(pos + 2) !== 46 &&
        text.charCodeAt(pos + 3) !== 46
      )
        return null;
      re.lastIndex = pos;
      const m = re.exec(text);
      if (!m) return null;
      if (!ctx.includePrivateIps && isPrivateIpv4(m[0].split('.').map(Number))) return null;
      return { start: pos, end: pos + m[0].length };
    },
  };
})();

function isPrivateIpv6(addr: string): boolean {
  const a = addr.toLowerCase();
  return (
    a === '::1' ||
    a === '::' ||
    /^fe[89ab]/.test(a) ||
    /^f[cd]/.test(a) ||
    a.startsWith('2001:db8:') ||
    a.startsWith('2001:0db8:') ||
    a.startsWith('ff') ||
    a.startsWith('::ffff:')
  );
}

const ipv6: DetectorDef = (() => {
  const re = /[0-9A-Fa-f:]{2,39}(?:\.[0-9]{1,3}){0,3}/y;
  return {
    ...info({
      id: 'ipv6',
      kind: 'pii',
      label: 'IP_ADDRESS',
      description:
        'IPv6 address (parsed with node:net); loopback, link-local, unique-local, multicast and documentation ranges skipped unless `includePrivateIps`',
      check: 'structure',
    }),
    tier: 1,
    triggers: [{ type: 'hex' }],
    find(text, pos, ctx) {
      if (text.charAt(pos - 1) === '.') return null;
      if (text.charAt(pos - 1) === ':') {
        // Mid-address (`fe80::1` seen from `1`) unless what precedes the colon is a word, not hex
        // (`Value:2403:…`, `ip:2a00:…`).
        let b = pos - 1;
        while (b > 0 && pos - b < 40 && /[0-9A-Fa-f:]/.test(text.charAt(b - 1))) b--;
        if (b === 0 || pos - b >= 40 || !/[A-Za-z0-9_]/.test(text.charAt(b - 1))) return null;
      }
      re.lastIndex = pos;
      const m = re.exec(text);
      if (!m) return null;
      let cand = m[0];
      // A trailing `:` belongs to the surrounding text (`addr: …`), never to an address ending in `::`
      // unless the address is exactly that.
      while (cand.endsWith(':') && !cand.endsWith('::')) cand = cand.slice(0, -1);
      if ((cand.match(/:/g) ?? []).length < 2 || !isIPv6(cand)) return null;
      const next = text.charAt(pos + cand.length);
      if (/[0-9A-Za-z_]/.test(next)) return null;
      if (!ctx.includePrivateIps && isPrivateIpv6(cand)) return null;
      return { start: pos, end: pos + cand.length };
    },
  };
})();

const bitcoin: DetectorDef = (() => {
  const base58 = /[13][1-9A-HJ-NP-Za-km-z]{25,34}(?![A-Za-z0-9_])/y;
  const segwit = /(?:bc1|tb1)[02-9ac-hj-np-z]{8,87}(?![A-Za-z0-9_])/y;
  const segwitUpper = /(?:BC1|TB1)[02-9AC-HJ-NP-Z]{8,87}(?![A-Za-z0-9_])/y;
  return {
    ...info({
      id: 'bitcoin_address',
      kind: 'pii',
      label: 'CRYPTO_ADDRESS',
      description:
        'Bitcoin address: legacy/P2SH Base58Check (double SHA-256 checksum, version 0x00/0x05) or SegWit Bech32/Bech32m (checksum, witness version and program length)',
      check: 'checksum',
    }),
    tier: 0,
    triggers: [
      { type: 'digit', fewDigits: 'base58' },
      { type: 'prefix', prefixes: ['bc1', 'tb1', 'BC1', 'TB1'] },
    ],
    find(text, pos) {
      const c = text.charAt(pos);
      if (c >= '0' && c <= '9' && c !== '1' && c !== '3') return null;
      if (c === '1' || c === '3') {
        base58.lastIndex = pos;
        const m = base58.exec(text);
        return m && isValidBitcoinBase58(m[0]) ? { start: pos, end: pos + m[0].length } : null;
      }
      for (const re of [segwit, segwitUpper]) {
        re.lastIndex = pos;
        const m = re.exec(text);
        if (m && isValidBitcoinBech32(m[0])) return { start: pos, end: pos + m[0].length };
      }
      return null;
    },
  };
})();

const ethereum: DetectorDef = (() => {
  const re = /0x[0-9a-fA-F]{40}(?![A-Za-z0-9_])/y;
  return {
    ...info({
      id: 'ethereum_address',
      kind: 'pii',
      label: 'CRYPTO_ADDRESS',
      description:
        '`0x` + 40 hex; mixed-case addresses must pass the EIP-55 (Keccak-256) checksum, single-case ones are accepted by shape',
      check: 'checksum',
    }),
    tier: 0,
    triggers: [{ type: 'prefix', prefixes: ['0x'] }],
    find(text, pos) {
      re.lastIndex = pos;
      const m = re.exec(text);
      return m && isValidEthereumAddress(m[0]) ? { start: pos, end: pos + m[0].length } : null;
    },
  };
})();

const iban: DetectorDef = {
  ...info({
    id: 'iban',
    kind: 'pii',
    label: 'IBAN',
    description: 'IBAN, compact or in groups of four: per-country length and ISO 7064 mod-97 check digits',
    check: 'checksum',
  }),
  tier: 0,
  triggers: [{ type: 'upper' }],
  find(text, pos) {
    const expected = IBAN_LENGTHS[text.slice(pos, pos + 2)];
    if (expected === undefined || !/^[0-9]{2}$/.test(text.slice(pos + 2, pos + 4))) return null;
    // Collect exactly `expected` alphanumerics, allowing single spaces between groups of four.
    let compact = '';
    let i = pos;
    const limit = Math.min(text.length, pos + expected + 10);
    while (i < limit && compact.length < expected) {
      const ch = text.charAt(i);
      if (/[A-Z0-9]/.test(ch)) {
        compact += ch;
        i++;
      } else if (ch === ' ' && compact.length % 4 === 0 && /[A-Z0-9]/.test(text.charAt(i + 1))) {
        i++;
      } else break;
    }
    if (compact.length !== expected || /[A-Za-z0-9_]/.test(text.charAt(i))) return null;
    return isValidIban(compact) ? { start: pos, end: i } : null;
  },
};

function upperId(
  base: DefBase,
  pattern: RegExp,
  validate: (compact: string) => boolean,
  tier: 0 | 1 = 1,
): DetectorDef {
  const re = new RegExp(pattern.source, 'y');
  return {
    ...info({ ...base, kind: 'pii' }),
    tier,
    triggers: [{ type: 'upper' }],
    find(text, pos) {
      re.lastIndex = pos;
      const m = re.exec(text);
      if (!m || !validate(m[0].replace(/[\s-]/g, ''))) return null;
      return { start: pos, end: pos + m[0].length };
    },
  };
}

export const PII_DETECTORS: readonly DetectorDef[] = [
  email,
  numeric({
    id: 'china_resident_id',
    minDigits: 17,
    description:
      'China resident identity card: 18 characters, region, valid birth date, ISO 7064 MOD 11-2 check',
    check: 'checksum',
    patterns: [{ re: new RegExp(`[1-9][0-9]{16}[0-9X]${END}`) }],
    validate: isValidChinaId,
  }),
  numeric({
    id: 'korea_rrn',
    minDigits: 13,
    description:
      'South Korea resident registration number YYMMDD-SNNNNNC: birth date, sex digit, mod-11 check',
    check: 'checksum',
    patterns: [
      { re: new RegExp(`[0-9]{6}-[0-9]{7}${END}`) },
      { re: new RegExp(`[0-9]{13}${END}`), needsContext: /rrn|resident|주민/ },
    ],
    validate: isValidKoreaRrn,
  }),
  numeric({
    id: 'credit_card',
    minDigits: 13,
    description:
      'payment card: 13–19 digits compact, or grouped by spaces, dashes or dots, issuer range and length, Luhn',
    check: 'checksum',
    patterns: [
      { re: new RegExp(`[0-9]{4}([ .-])[0-9]{4}\\1[0-9]{4}\\1[0-9]{1,7}${END}`) },
      { re: new RegExp(`[0-9]{4}([ -])[0-9]{6}\\1[0-9]{4,5}${END}`) },
      // Compact numbers from 13 digits: 12-digit Maestro numbers are rare and 12-digit ids are not.
      { re: new RegExp(`[0-9]{13,19}${END}`) },
    ],
    validate: isValidCard,
  }),
  numeric({
    id: 'us_ssn',
    minDigits: 9,
    description:
      'US social security number AAA-GG-SSSS (dashes or spaces; bare 9 digits only after "ssn"/"social"): area 001–899 but 666, group and serial non-zero',
    check: 'structure',
    patterns: [
      { re: new RegExp(`[0-9]{3}([- ])[0-9]{2}\\1[0-9]{4}${END}`) },
      { re: new RegExp(`[0-9]{9}${END}`), needsContext: /ssn|social/ },
    ],
    validate: isValidSsn,
  }),
  numeric({
    id: 'brazil_cnpj',
    minDigits: 14,
    description: 'Brazil CNPJ 00.000.000/0000-00 (bare 14 digits only after "cnpj"): two mod-11 check digits',
    check: 'checksum',
    patterns: [
      { re: new RegExp(`[0-9]{2}\\.[0-9]{3}\\.[0-9]{3}/[0-9]{4}-[0-9]{2}${END}`) },
      { re: new RegExp(`[0-9]{14}${END}`), needsContext: /cnpj/ },
    ],
    validate: isValidCnpj,
  }),
  numeric({
    id: 'brazil_cpf',
    minDigits: 11,
    description: 'Brazil CPF 000.000.000-00 (bare 11 digits only after "cpf"): two mod-11 check digits',
    check: 'checksum',
    patterns: [
      { re: new RegExp(`[0-9]{3}\\.[0-9]{3}\\.[0-9]{3}-[0-9]{2}${END}`) },
      { re: new RegExp(`[0-9]{11}${END}`), needsContext: /cpf/ },
    ],
    validate: isValidCpf,
  }),
  numeric({
    id: 'india_aadhaar',
    minDigits: 12,
    description:
      'India Aadhaar: 12 digits grouped 4-4-4 (bare only after "aadhaar"/"uidai"), first digit 2–9, Verhoeff check',
    check: 'checksum',
    patterns: [
      { re: new RegExp(`[2-9][0-9]{3}([ -])[0-9]{4}\\1[0-9]{4}${END}`) },
      { re: new RegExp(`[2-9][0-9]{11}${END}`), needsContext: /aadh?aar|uidai/ },
    ],
    validate: isValidAadhaar,
  }),
  numeric({
    id: 'uk_nhs',
    minDigits: 10,
    description: 'UK NHS number: 10 digits grouped 3-3-4 (bare only after "nhs"), mod-11 check digit',
    check: 'checksum',
    patterns: [
      { re: new RegExp(`[0-9]{3}([ -])[0-9]{3}\\1[0-9]{4}${END}`), needsContext: /nhs/ },
      { re: new RegExp(`[0-9]{3} [0-9]{3} [0-9]{4}${END}`) },
      { re: new RegExp(`[0-9]{10}${END}`), needsContext: /nhs/ },
    ],
    validate: isValidNhs,
  }),
  numeric({
    id: 'netherlands_bsn',
    minDigits: 9,
    description: 'Netherlands BSN: 9 digits after "bsn"/"burgerservicenummer"/"sofinummer", 11-proef',
    check: 'checksum',
    patterns: [{ re: new RegExp(`[0-9]{9}${END}`), needsContext: /bsn|burgerservice|sofi/ }],
    validate: isValidBsn,
  }),
  numeric({
    id: 'spain_dni',
    minDigits: 8,
    description: 'Spain DNI: 8 digits + control letter (mod 23)',
    check: 'checksum',
    patterns: [{ re: /[0-9]{8}-?[A-Z](?![A-Za-z0-9_])/ }],
    strip: /-/g,
    validate: isValidSpanishId,
  }),
  ipv4,
  bitcoin,
  phoneDetector(),
  ipv6,
  ethereum,
  iban,
  upperId(
    {
      id: 'spain_nie',
      description: 'Spain NIE: X/Y/Z + 7 digits + control letter (mod 23)',
      check: 'checksum',
    },
    /[XYZ]-?[0-9]{7}-?[A-Z](?![A-Za-z0-9_])/,
    isValidSpanishId,
  ),
  upperId(
    {
      id: 'uk_nino',
      description:
        'UK National Insurance number: allocated prefix letters, 6 digits (optionally spaced in pairs), suffix A–D',
      check: 'structure',
    },
    /[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D](?![A-Za-z0-9_])/,
    isValidNino,
  ),
  upperId(
    {
      id: 'india_pan',
      description: 'India PAN: 5 letters (4th the holder type), 4 digits, 1 letter',
      check: 'structure',
    },
    /[A-Z]{5}[0-9]{4}[A-Z](?![A-Za-z0-9_])/,
    isValidPan,
  ),
  upperId(
    {
      id: 'italy_codice_fiscale',
      description:
        'Italy codice fiscale: 16 characters (omocodia handled), valid month letter, control character',
      check: 'checksum',
    },
    /[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z](?![A-Za-z0-9_])/,
    isValidCodiceFiscale,
  ),
  upperId(
    {
      id: 'singapore_nric',
      description: 'Singapore NRIC/FIN: S/T/F/G/M + 7 digits + check letter (weighted mod 11)',
      check: 'checksum',
    },
    /[STFGM][0-9]{7}[A-Z](?![A-Za-z0-9_])/,
    isValidNric,
  ),
];
