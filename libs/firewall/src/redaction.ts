import { createHmac } from 'node:crypto';
import type { Finding } from './types';

export interface RedactOptions {
  /** Team key of the placeholders' HMAC: the same value gets the same placeholder under the same key. */
  readonly key: string | Buffer;
  /**
   * Mapping to add to (placeholder -> original). Pass one map through every segment of a request so the
   * whole request shares one mapping.
   */
  readonly mapping?: Map<string, string>;
}

export interface RedactionResult {
  readonly text: string;
  /** placeholder -> original, built from this request only; hand it to a `Restorer`, then drop it. */
  readonly mapping: Map<string, string>;
  readonly replacements: readonly { placeholder: string; detectorId: string; start: number; end: number }[];
}

const HEX_LENGTH = 6;

/** Placeholder of a value: `[<LABEL>_<hex of HMAC-SHA256(key, value)>]`, 6 hex digits unless lengthened. */
export function placeholderFor(
  label: string,
  value: string,
  key: string | Buffer,
  hexLength = HEX_LENGTH,
): string {
  const mac = createHmac('sha256', key).update(value, 'utf8').digest('hex');
  return `[${label}_${mac.slice(0, hexLength)}]`;
}

/**
 * Replaces each finding with its placeholder. Findings must not overlap (scanner output never does).
 * Two different values whose 6-hex placeholders collide within one request get longer placeholders
 * (8, 10 … hex) so the mapping stays unambiguous.
 */
export function redact(text: string, findings: readonly Finding[], options: RedactOptions): RedactionResult {
  const mapping = options.mapping ?? new Map<string, string>();
  const sorted = [...findings].sort((a, b) => a.start - b.start);
  let out = '';
  let last = 0;
  const replacements: { placeholder: string; detectorId: string; start: number; end: number }[] = [];
  for (const f of sorted) {
    if (f.start < last || f.end > text.length) continue;
    const value = text.slice(f.start, f.end);
    let hexLength = HEX_LENGTH;
    let placeholder = placeholderFor(f.label, value, options.key, hexLength);
    while (mapping.has(placeholder) && mapping.get(placeholder) !== value && hexLength < 64) {
      hexLength += 2;
      placeholder = placeholderFor(f.label, value, options.key, hexLength);
    }
    mapping.set(placeholder, value);
    out += text.slice(last, f.start);
    replacements.push({
      placeholder,
      detectorId: f.detectorId,
      start: out.length,
      end: out.length + placeholder.length,
    });
    out += placeholder;
    last = f.end;
  }
  out += text.slice(last);
  return { text: out, mapping, replacements };
}

/** Redacts every segment of a request with one shared mapping; findings carry their `segment` index. */
export function redactSegments(
  segments: readonly string[],
  findings: readonly Finding[],
  options: RedactOptions,
): { segments: string[]; mapping: Map<string, string> } {
  const mapping = options.mapping ?? new Map<string, string>();
  const bySegment = new Map<number, Finding[]>();
  for (const f of findings) {
    const list = bySegment.get(f.segment ?? 0) ?? [];
    list.push(f);
    bySegment.set(f.segment ?? 0, list);
  }
  const out = segments.map((text, i) => {
    const list = bySegment.get(i);
    return list ? redact(text, list, { key: options.key, mapping }).text : text;
  });
  return { segments: out, mapping };
}

/** The body of a JSON string literal holding `value`, escaped `depth` times (1 = inside one JSON string). */
export function jsonEscape(value: string, depth = 1): string {
  let v = value;
  for (let i = 0; i < depth; i++) v = JSON.stringify(v).slice(1, -1);
  return v;
}

export interface RestorerOptions {
  /**
   * `text` (default) writes originals as they are; `json` writes them escaped for the inside of a JSON
   * string (tool-call argument deltas, Anthropic `partial_json`), so `"` and `\` keep the JSON valid.
   */
  readonly mode?: 'text' | 'json';
  /** JSON escaping levels in `json` mode (2 for JSON held in a JSON string). Default 1. */
  readonly jsonDepth?: number;
}

const PLACEHOLDER_RE = /\[[A-Z][A-Z0-9_]{0,63}_[0-9a-f]{6,64}\]/g;

/**
 * Turns placeholders back into originals in a model's answer, whole or streamed. Stateless beyond the
 * mapping of the current request; holds back only a trailing fragment that could still grow into one of
 * the mapping's placeholders.
 */
export class Restorer {
  private readonly mapping: ReadonlyMap<string, string>;
  private readonly placeholders: string[];
  private readonly maxLength: number;
  private readonly depth: number;
  private pending = '';

  constructor(
    mapping: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
    options: RestorerOptions = {},
  ) {
    this.mapping = mapping instanceof Map ? mapping : new Map(Object.entries(mapping));
    this.placeholders = [...this.mapping.keys()];
    this.maxLength = this.placeholders.reduce((n, p) => Math.max(n, p.length), 0);
    this.depth = options.mode === 'json' ? (options.jsonDepth ?? 1) : 0;
  }

  /** Restores a complete text. */
  restore(text: string): string {
    if (this.placeholders.length === 0 || !text.includes('[')) return text;
    return text.replace(PLACEHOLDER_RE, (p) => {
      const original = this.mapping.get(p);
      if (original === undefined) return p;
      return this.depth > 0 ? jsonEscape(original, this.depth) : original;
    });
  }

  /** Feeds one streamed delta; returns what can be released now (possibly ''). */
  push(delta: string): string {
    if (this.placeholders.length === 0) return delta;
    const buf = this.pending + delta;
    let hold = buf.length;
    const open = buf.lastIndexOf('[');
    if (open >= 0 && buf.length - open < this.maxLength) {
      const tail = buf.slice(open);
      if (this.placeholders.some((p) => p.length > tail.length && p.startsWith(tail))) hold = open;
    }
    this.pending = buf.slice(hold);
    return this.restore(buf.slice(0, hold));
  }

  /** Ends the stream: releases whatever was held back. */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return this.restore(rest);
  }

  /** Restores every string inside a parsed JSON value (tool-call `input` objects), recursively. */
  restoreValue<T>(value: T): T {
    const plain = new Restorer(this.mapping);
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return plain.restore(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object') {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = walk(x);
        return out;
      }
      return v;
    };
    return walk(value) as T;
  }
}
