import { createHmac, hash, randomBytes } from 'node:crypto';
import type { Assignment, DetectorDef, ScanContext } from './detectors/detector-def';
import { ALL_DETECTORS } from './detectors/registry';
import type { DetectorKind, Finding } from './types';

export interface ScannerOptions {
  /**
   * Key of the findings' fingerprints (HMAC-SHA256). Set one stable key per deployment so events from
   * several gateway instances correlate; a random per-process key is used when absent.
   */
  readonly fingerprintKey?: string | Buffer;
  /** Only these detector ids (default: all). */
  readonly include?: readonly string[];
  /** Never these detector ids. */
  readonly exclude?: readonly string[];
  /** Only these kinds (default: both). */
  readonly kinds?: readonly DetectorKind[];
  /** Report private, loopback, link-local and documentation IP ranges too (default false). */
  readonly includePrivateIps?: boolean;
  /** Regions whose national phone formats are recognised without a `+` prefix (default ['US']). */
  readonly phoneRegions?: readonly string[];
  /** Scan-result cache of `scanSegments`; `false` disables it. */
  readonly cache?: false | { readonly maxEntries?: number; readonly minSegmentLength?: number };
}

interface RawMatch {
  def: DetectorDef;
  start: number;
  end: number;
}

type CachedFinding = Omit<Finding, 'segment'>;

// Character classes of ASCII codes, for the single pass.
const ALNUM = 1;
const DIGIT = 2;
const UPPER = 4;
const HEX = 8;
const CLASS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CLASS[c] = ALNUM | DIGIT | HEX;
for (let c = 65; c <= 90; c++) CLASS[c] = ALNUM | UPPER | (c <= 70 ? HEX : 0);
for (let c = 97; c <= 122; c++) CLASS[c] = ALNUM | (c <= 102 ? HEX : 0);

/** [A-Za-z0-9_] */
const WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) WORD[c] = CLASS[c] || c === 95 ? 1 : 0;

/** Punctuation that may start something: literal anchors are added as detectors register. */
const SPECIAL = new Uint8Array(128);
for (const ch of '=:+(') SPECIAL[ch.charCodeAt(0)] = 1;

const SECRET_KEY =
  /secret|passw(?:or)?d|pwd|passphrase|token|apikey|accesskey|privatekey|credential|auth|signingkey|encryptionkey|masterkey/;
/** Cheap first test on the raw key, before normalising it. */
const SECRET_KEY_RAW = /secret|passw|pwd|passphrase|token|key|credential|auth/i;
const NOT_SECRET_KEY =
  /author|(?:url|uri|path|file|filename|name|type|length|len|size|count|max|min|limit|endpoint|expiry|expires|expiresat|expiration|ttl|timeout|header|format|mode|method|provider|kind|enabled|required|usage|tokens|budget|id|domain|host|hostname|issuer|audience|scope|region|version|algorithm|alg)$/;
const KEY_SEPARATORS = /[_.\- ]/g;
/** `Authorization: Bearer <token>`: the scheme word is not part of the value. */
const AUTH_SCHEME = /(?:Bearer|Basic|Token) /iy;
/** Characters that end an unquoted value. */
const VALUE_STOP = new Uint8Array(128);
for (const ch of ' \t\r\n\f\v,;\'"`)}]') VALUE_STOP[ch.charCodeAt(0)] = 1;

function isDigit(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** `dddd-dd-dd` at `i`. */
function isIsoDate(text: string, i: number): boolean {
  return (
    text.charCodeAt(i + 4) === 45 &&
    text.charCodeAt(i + 7) === 45 &&
    isDigit(text, i + 1) &&
    isDigit(text, i + 2) &&
    isDigit(text, i + 3) &&
    isDigit(text, i + 5) &&
    isDigit(text, i + 6) &&
    isDigit(text, i + 8) &&
    isDigit(text, i + 9)
  );
}

/** At least `n` characters of [A-Za-z0-9] from `i`. */
function alnumRunAtLeast(text: string, i: number, n: number): boolean {
  for (let j = i; j < i + n; j++) {
    const c = text.charCodeAt(j);
    if (!(c < 128 && (CLASS[c] ?? 0) & ALNUM)) return false;
  }
  return true;
}

const DEFAULT_MAX_ENTRIES = 4096;
const DEFAULT_MIN_SEGMENT = 256;

/**
 * The firewall's scanner: one pass over the text finds every trigger position (token starts by their
 * first two characters, a handful of literals found with indexOf, `key = value` pairs), and each detector
 * runs anchored there. Reuse one instance: it holds the compiled tables and the segment cache.
 */
export class Scanner {
  private readonly prefixTable: ({ prefix: string; def: DetectorDef }[] | undefined)[] = new Array<
    { prefix: string; def: DetectorDef }[] | undefined
  >(128 * 128);
  /** Literal anchors by their first character (always punctuation). */
  private readonly literals: ({ literal: string; defs: DetectorDef[] }[] | undefined)[] = [];
  private readonly digitDefs: DetectorDef[] = [];
  /** Digit-led detectors whose values may have fewer than 7 digits: dotted quads, Base58 addresses. */
  private readonly dottedDefs: DetectorDef[] = [];
  private readonly base58Defs: DetectorDef[] = [];
  private readonly upperDefs: DetectorDef[] = [];
  private readonly hexDefs: DetectorDef[] = [];
  private readonly assignmentDefs: DetectorDef[] = [];
  private readonly pairingDefs: DetectorDef[] = [];
  private ctx: ScanContext;
  private readonly key: Buffer;
  private readonly cache: Map<string, CachedFinding[]> | null;
  private readonly maxEntries: number;
  private readonly minSegment: number;
  private hitCount = 0;
  private missCount = 0;
  readonly detectors: readonly DetectorDef[];

  constructor(options: ScannerOptions = {}) {
    const include = options.include ? new Set(options.include) : null;
    const exclude = new Set(options.exclude ?? []);
    const kinds = new Set(options.kinds ?? ['secret', 'pii']);
    this.detectors = ALL_DETECTORS.filter(
      (d) => (!include || include.has(d.id)) && !exclude.has(d.id) && kinds.has(d.kind),
    );
    for (const def of this.detectors) {
      for (const t of def.triggers) {
        switch (t.type) {
          case 'prefix':
            for (const prefix of t.prefixes) {
              const k = prefix.charCodeAt(0) * 128 + prefix.charCodeAt(1);
              (this.prefixTable[k] ??= []).push({ prefix, def });
            }
            break;
          case 'literal': {
            const first = t.literal.charCodeAt(0);
            if (first >= 128 || CLASS[first] || first === 95)
              throw new Error(`literal anchor must start with punctuation: ${t.literal}`);
            SPECIAL[first] = 1;
            const list = (this.literals[first] ??= []);
            const entry = list.find((e) => e.literal === t.literal);
            if (entry) entry.defs.push(def);
            else list.push({ literal: t.literal, defs: [def] });
            break;
          }
          case 'digit':
            this.digitDefs.push(def);
            if (t.fewDigits === 'dotted') this.dottedDefs.push(def);
            if (t.fewDigits === 'base58') this.base58Defs.push(def);
            break;
          case 'upper':
            this.upperDefs.push(def);
            break;
          case 'hex':
            this.hexDefs.push(def);
            break;
          case 'assignment':
            this.assignmentDefs.push(def);
            break;
          case 'pairing':
            this.pairingDefs.push(def);
            break;
        }
      }
    }
    this.ctx = {
      includePrivateIps: options.includePrivateIps ?? false,
      phoneRegions: options.phoneRegions ?? ['US'],
      memo: new Map(),
    };
    const key = options.fingerprintKey ?? randomBytes(32);
    this.key = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
    this.cache = options.cache === false ? null : new Map();
    this.maxEntries = (options.cache || undefined)?.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.minSegment = (options.cache || undefined)?.minSegmentLength ?? DEFAULT_MIN_SEGMENT;
  }

  /** Findings in `text`, sorted by start, non-overlapping. */
  scan(text: string): Finding[] {
    const matches = this.resolve(text, this.collect(text));
    return matches.map((m) => ({
      detectorId: m.def.id,
      kind: m.def.kind,
      label: m.def.label,
      start: m.start,
      end: m.end,
      fingerprint: this.fingerprint(text.slice(m.start, m.end)),
    }));
  }

  /**
   * Findings of several segments (the text parts of one request), each tagged with its segment index.
   * Segments of `minSegmentLength` characters or more are looked up by content hash first, so a
   * conversation resent every turn costs one hash per old segment and a scan of the new ones. The cache
   * keeps hashes and offsets only, never text.
   */
  scanSegments(segments: readonly string[]): Finding[] {
    const out: Finding[] = [];
    for (let i = 0; i < segments.length; i++) {
      const text = segments[i] ?? '';
      for (const f of this.scanCached(text)) out.push({ ...f, segment: i });
    }
    return out;
  }

  get cacheStats(): { hits: number; misses: number; entries: number } {
    return { hits: this.hitCount, misses: this.missCount, entries: this.cache?.size ?? 0 };
  }

  /** The keyed fingerprint of a value, as carried by findings. */
  fingerprint(value: string): string {
    return createHmac('sha256', this.key).update(value, 'utf8').digest('hex').slice(0, 16);
  }

  private scanCached(text: string): CachedFinding[] {
    if (!this.cache || text.length < this.minSegment) return this.scan(text);
    const k = hash('sha256', text, 'base64');
    const hit = this.cache.get(k);
    if (hit) {
      this.hitCount++;
      this.cache.delete(k);
      this.cache.set(k, hit);
      return hit;
    }
    this.missCount++;
    const found = this.scan(text);
    this.cache.set(k, found);
    if (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    return found;
  }

  private collect(text: string): RawMatch[] {
    const out: RawMatch[] = [];
    // The memo is per scan; detectors use it only while the scan runs, so one Map is cleared, not
    // a context and a Map made per scan.
    if (this.ctx.memo.size > 0) this.ctx.memo.clear();
    const n = text.length;
    let prevWord = false;
    // The only per-character work: a table lookup. Detectors run at token starts and at the few
    // punctuation characters that begin a literal anchor or an assignment.
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      const cl = c < 128 ? (CLASS[c] as number) : 0;
      if (cl !== 0) {
        if (!prevWord) {
          const end = this.tokenStart(text, i, c, cl, out);
          if (end > i + 1) {
            i = end - 1;
            prevWord = true;
            continue;
          }
        }
        // Step over the rest of the word in a tight loop: nothing starts inside a word.
        let j = i + 1;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (d < 128 && WORD[d] === 1) j++;
          else break;
        }
        i = j - 1;
        prevWord = true;
      } else if (c === 95) {
        prevWord = true;
      } else {
        prevWord = false;
        if (c < 128 && SPECIAL[c] === 1) {
          const end = this.punctuation(text, i, c, out);
          if (end > i + 1) {
            i = end - 1;
            prevWord = true;
          }
        }
      }
    }
    for (const def of this.pairingDefs) {
      const found = def.pair?.(
        text,
        out.map((m) => ({ detectorId: m.def.id, start: m.start, end: m.end })),
      );
      for (const m of found ?? []) out.push({ def, start: m.start, end: m.end });
    }
    return out;
  }

  /** Literal anchors, assignments and `+`/`(`-led phone numbers; returns the end of a match, or -1. */
  private punctuation(text: string, i: number, c: number, out: RawMatch[]): number {
    const entries = this.literals[c];
    let end = -1;
    if (entries) {
      for (const { literal, defs } of entries) {
        if (literal.length > 1 && !text.startsWith(literal, i)) continue;
        for (const def of defs) {
          const m = def.find?.(text, i, this.ctx);
          if (m) {
            out.push({ def, start: m.start, end: m.end });
            if (m.end > end) end = m.end;
          }
        }
      }
    }
    if (end > i + 1) return end;
    if (c === 61 || c === 58) {
      if (this.assignmentDefs.length > 0) this.assignment(text, i, out);
    } else if (c === 43 || c === 40) {
      const next = text.charCodeAt(i + 1);
      if (next >= 48 && next <= 57 && !(i > 0 && (CLASS[text.charCodeAt(i - 1)] ?? 0) & ALNUM)) {
        return this.runDefs(this.digitDefs, text, i, out);
      }
    }
    return -1;
  }

  /** Runs the detectors reachable from a token start; returns the end of a match, or -1. */
  private tokenStart(text: string, i: number, c: number, cl: number, out: RawMatch[]): number {
    const c1 = text.charCodeAt(i + 1);
    if (c1 < 128) {
      const entries = this.prefixTable[c * 128 + c1];
      if (entries) {
        for (let e = 0; e < entries.length; e++) {
          const { prefix, def } = entries[e] as { prefix: string; def: DetectorDef };
          if (!text.startsWith(prefix, i)) continue;
          const m = def.find?.(text, i, this.ctx);
          if (m) {
            out.push({ def, start: m.start, end: m.end });
            return m.end;
          }
        }
      }
    }
    if (cl & DIGIT) {
      const prev = text.charCodeAt(i - 1);
      // A digit run continuing a dotted or dashed number is not a new start (`10.2.3`, `2024-01-05`).
      if ((prev === 46 || prev === 45 || prev === 47) && (CLASS[text.charCodeAt(i - 2)] ?? 0) & DIGIT)
        return -1;
      // ISO dates (`2026-11-27`) are the most common long digit run in logs and JSON and no format here
      // starts with one: step over them.
      if (isIsoDate(text, i)) return i + 10;
      // Every digit-led format but IPv4 and Base58 Bitcoin addresses has 7+ digits within its first 24
      // characters: count them once instead of running each detector.
      let digits = 0;
      for (let j = i; j < i + 24 && j < text.length; j++) {
        const cj = text.charCodeAt(j);
        if ((CLASS[cj] ?? 0) & DIGIT) digits++;
        else if (!(cj === 32 || cj === 45 || cj === 46 || cj === 47 || cj === 41 || cj === 40)) break;
      }
      if (digits >= 7) {
        const end = this.runDefs(this.digitDefs, text, i, out, digits);
        if (end > 0) return end;
      } else if (this.dotAfterDigits(text, i)) {
        const end = this.runDefs(this.dottedDefs, text, i, out);
        if (end > 0) return end;
      } else if ((c === 49 || c === 51) && alnumRunAtLeast(text, i, 26)) {
        const end = this.runDefs(this.base58Defs, text, i, out);
        if (end > 0) return end;
      }
    } else if (cl & UPPER) {
      // Every upper-case-led identifier has a digit within its first eight characters.
      let digit = false;
      for (let j = i + 1; j < i + 8; j++) {
        const cj = text.charCodeAt(j);
        if ((CLASS[cj] ?? 0) & DIGIT) {
          digit = true;
          break;
        }
        if (!((CLASS[cj] ?? 0) & ALNUM) && cj !== 32) break;
      }
      if (digit) {
        const end = this.runDefs(this.upperDefs, text, i, out);
        if (end > 0) return end;
      }
    }
    if (cl & HEX && this.hexDefs.length > 0 && this.ipv6Shaped(text, i))
      return this.runDefs(this.hexDefs, text, i, out);
    return -1;
  }

  /**
   * A hex run reaching a `:` within four characters and, within 39 characters, either `::` or seven
   * colons: an IPv6 address can start here; a time (`10:00:00`) or a `key:value` cannot.
   */
  private ipv6Shaped(text: string, i: number): boolean {
    let colons = 0;
    let double = false;
    const limit = Math.min(text.length, i + 39);
    for (let j = i + 1; j < limit; j++) {
      const cj = text.charCodeAt(j);
      if (cj === 58) {
        if (colons === 0 && j - i > 4) return false;
        colons++;
        if (text.charCodeAt(j - 1) === 58) double = true;
      } else if (!((CLASS[cj] ?? 0) & HEX)) break;
      if (colons === 0 && j - i >= 4) return false;
    }
    return colons >= 7 || (double && colons >= 2);
  }

  /** `1.`, `10.`, `192.`: the start of a dotted quad. */
  private dotAfterDigits(text: string, i: number): boolean {
    for (let j = i + 1; j <= i + 3; j++) {
      const cj = text.charCodeAt(j);
      if (cj === 46) return true;
      if (cj < 48 || cj > 57) return false;
    }
    return false;
  }

  private runDefs(
    defs: readonly DetectorDef[],
    text: string,
    i: number,
    out: RawMatch[],
    digits = 99,
  ): number {
    for (const def of defs) {
      // `digits` counts the digits of the number-like run at `i`: formats needing more cannot start here.
      if ((def.minDigits ?? 0) > digits) continue;
      const m = def.find?.(text, i, this.ctx);
      if (m) {
        out.push({ def, start: m.start, end: m.end });
        return m.end;
      }
    }
    return -1;
  }

  /** `key = value`, `key: value`, `"key": "value"`: parse once, ask the assignment detectors. */
  private assignment(text: string, i: number, out: RawMatch[]): void {
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (next === 61 || next === 62 || (c === 58 && (next === 58 || next === 47))) return;
    const prev = text.charCodeAt(i - 1);
    if (c === 61 && (prev === 61 || prev === 33 || prev === 60 || prev === 62)) return;
    // The value first: most `=` and `:` in code, JSON and logs carry a value too short to be a secret.
    let v = i + 1;
    for (let s = 0; s < 4 && (text.charCodeAt(v) === 32 || text.charCodeAt(v) === 9); s++) v++;
    const quoteCode = text.charCodeAt(v);
    const quoted = quoteCode === 34 || quoteCode === 39 || quoteCode === 96;
    if (quoted) v++;
    const first = text.charCodeAt(v) | 0x20;
    if (first === 98 || first === 116) {
      AUTH_SCHEME.lastIndex = v;
      if (AUTH_SCHEME.test(text)) v = AUTH_SCHEME.lastIndex;
    }
    const limit = Math.min(text.length, v + 256);
    let e = v;
    while (e < limit) {
      const ch = text.charCodeAt(e);
      if (quoted ? ch === quoteCode || ch === 10 : ch < 128 && VALUE_STOP[ch] === 1) break;
      e++;
    }
    // Every assignment detector needs 8 characters or more.
    if (e - v < 8 || (e >= limit && e < text.length)) return;
    // Then the key.
    let k = i - 1;
    for (let s = 0; s < 3 && text.charCodeAt(k) === 32; s++) k--;
    const q = text.charCodeAt(k);
    if (q === 34 || q === 39 || q === 96) k--;
    const keyEnd = k + 1;
    while (k >= 0 && keyEnd - k <= 64) {
      const ck = text.charCodeAt(k);
      if (!((CLASS[ck] ?? 0) & ALNUM || ck === 95 || ck === 46 || ck === 45)) break;
      k--;
    }
    if (keyEnd - k - 1 < 3) return;
    const rawKey = text.slice(k + 1, keyEnd);
    if (!SECRET_KEY_RAW.test(rawKey)) return;
    const key = rawKey.toLowerCase().replace(KEY_SEPARATORS, '');
    if (!SECRET_KEY.test(key) || NOT_SECRET_KEY.test(key)) return;
    const a: Assignment = { key, value: text.slice(v, e), valueStart: v };
    for (const def of this.assignmentDefs) {
      if (def.acceptAssignment?.(a)) {
        out.push({ def, start: v, end: e });
        return;
      }
    }
  }

  /** Drops documentation examples and resolves overlaps: lower tier first, then earlier, then longer. */
  private resolve(text: string, matches: RawMatch[]): RawMatch[] {
    const kept = matches.filter(
      (m) => m.end > m.start && !(m.def.kind === 'secret' && text.slice(m.start, m.end).includes('EXAMPLE')),
    );
    if (kept.length <= 1) return kept;
    kept.sort((a, b) => a.def.tier - b.def.tier || a.start - b.start || b.end - a.end);
    const taken = new Uint8Array(text.length);
    const accepted: RawMatch[] = [];
    for (const m of kept) {
      let free = true;
      for (let p = m.start; p < m.end; p++) {
        if (taken[p]) {
          free = false;
          break;
        }
      }
      if (!free) continue;
      taken.fill(1, m.start, m.end);
      accepted.push(m);
    }
    return accepted.sort((a, b) => a.start - b.start);
  }
}

let defaultScanner: Scanner | undefined;

/**
 * Scans one text. With `options`, builds a scanner for them (reuse a `Scanner` on hot paths); without,
 * uses a shared default scanner (all detectors, random fingerprint key).
 */
export function scan(text: string, options?: ScannerOptions): Finding[] {
  if (options) return new Scanner(options).scan(text);
  defaultScanner ??= new Scanner();
  return defaultScanner.scan(text);
}
