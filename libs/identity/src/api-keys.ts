import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export const KEY_PREFIX = 'tok_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A new key: `tok_` and 43 base62 characters (256 bits of randomness). */
export function generateApiKey(): string {
  const bytes = randomBytes(43);
  let out = KEY_PREFIX;
  // Rejection sampling keeps every character equally likely (no modulo bias).
  for (let i = 0; out.length < KEY_PREFIX.length + 43; i++) {
    const b = i < bytes.length ? bytes[i]! : randomBytes(1)[0]!;
    if (b < 248) out += BASE62[b % 62];
  }
  return out;
}

/**
 * Keys are 256-bit random values, so a fast hash is enough to make a stolen table useless (a slow
 * password hash protects low-entropy secrets and would cost every cache miss milliseconds).
 */
export function hashApiKey(key: string): string {
  // One-shot: no Hash object per request (this runs on every authenticated request).
  return hash('sha256', key, 'hex');
}

/** What may be shown after creation: enough to recognise a key, useless to use it. */
export function keyPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + 6);
}

export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(KEY_PREFIX) && value.length >= KEY_PREFIX.length + 16 && value.length <= 256;
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/**
 * Takes the key from the places real clients put it: `Authorization: Bearer` (OpenAI and
 * Anthropic SDKs, Codex), `x-api-key` (Claude Code), `x-goog-api-key` (Gemini SDK) or Gemini's
 * `?key=` query parameter.
 */
export function extractApiKey(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  query?: Readonly<Record<string, unknown>>,
): string | null {
  const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  const auth = first(headers['authorization']);
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m?.[1]) return m[1];
  }
  const xApiKey = first(headers['x-api-key']) ?? first(headers['x-goog-api-key']);
  if (xApiKey && xApiKey.trim() !== '') return xApiKey.trim();
  const q = query?.['key'];
  if (typeof q === 'string' && q !== '') return q;
  return null;
}
