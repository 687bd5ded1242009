import { hash } from 'node:crypto';
import type { IrContentPart } from '../ir/content';
import type { IrRequest } from '../ir/request';
import { asciiPieceEnd, isAscii } from './ascii-pieces';

// count_tokens without an upstream: a real BPE tokenizer (o200k_base, bundled with gpt-tokenizer: no download
// at run time) over the text of the request. Other vendors' tokenizers differ by some percent; this is an
// estimate of the same order, never characters divided by four.

type O200k = typeof import('gpt-tokenizer/cjs/encoding/o200k_base');
let o200k: O200k | undefined;

/**
 * Loads the BPE table. It costs about 200 ms and 35 MB, so it is loaded on the first count rather than by every
 * process that imports this library; call it at start-up to move that cost out of the first request.
 */
export const warmTokenizer = (): void => {
  // A lazy require keeps the import synchronous (counting is used on request paths) without loading it eagerly.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  o200k ??= require('gpt-tokenizer/cjs/encoding/o200k_base') as O200k;
};

// ASCII text (most answers and prompts) is split without gpt-tokenizer's Unicode regex (ascii-pieces.ts)
// and each piece's count comes from a small table of recent pieces: looking a piece up in the 200,000-
// entry rank table was most of a count (2.4% of the gateway's CPU on non-streamed chat, a cache miss or
// two per piece), and words recur. Pieces past this length are counted without being remembered.
const PIECE_CACHE_MAX_ENTRIES = 16_384;
const PIECE_CACHE_MAX_CHARS = 32;
const pieceCounts = new Map<string, number>();

/** Tokens of a plain string. */
export const countTextTokens = (text: string): number => {
  if (text === '') return 0;
  warmTokenizer();
  const enc = o200k as O200k;
  // Special tokens (<|endoftext|> …) and non-ASCII text: gpt-tokenizer's own path.
  if (!isAscii(text) || text.includes('<|')) return enc.countTokens(text);
  let n = 0;
  for (let i = 0; i < text.length;) {
    const end = asciiPieceEnd(text, i);
    if (end - i > PIECE_CACHE_MAX_CHARS) {
      n += enc.countTokens(text.slice(i, end));
    } else {
      const piece = text.slice(i, end);
      let count = pieceCounts.get(piece);
      if (count === undefined) {
        count = enc.countTokens(piece);
        if (pieceCounts.size >= PIECE_CACHE_MAX_ENTRIES) pieceCounts.clear();
        pieceCounts.set(piece, count);
      }
      n += count;
    }
    i = end;
  }
  return n;
};

// Agents resend the same system prompt, tool definitions and earlier turns with every request, and
// BPE is the costly part of a count (about 13% of the gateway's CPU per request when every input
// text was encoded afresh). Input texts are therefore remembered by a SHA-256 of their content (the
// text itself is not kept), least recently used first out; short texts are not worth it.
const CACHE_MIN_CHARS = 64;
const CACHE_MAX_ENTRIES = 50_000;
const inputCounts = new Map<string, number>();

/** Tokens of a text that is likely to come again (a prompt part): remembered by content hash. */
export const countInputTextTokens = (text: string): number => {
  if (text.length < CACHE_MIN_CHARS) return countTextTokens(text);
  const key = hash('sha256', text, 'base64');
  const hit = inputCounts.get(key);
  if (hit !== undefined) {
    // Map order is insertion order: re-inserting keeps it the most recently used.
    inputCounts.delete(key);
    inputCounts.set(key, hit);
    return hit;
  }
  const n = countTextTokens(text);
  inputCounts.set(key, n);
  if (inputCounts.size > CACHE_MAX_ENTRIES) {
    const oldest = inputCounts.keys().next().value;
    if (oldest !== undefined) inputCounts.delete(oldest);
  }
  return n;
};

/** Per-message framing overhead, as in OpenAI's chat format (role and separators). */
const MESSAGE_OVERHEAD_TOKENS = 3;
/** An image's size is unknown without decoding it: a typical ~1 megapixel image. */
export const IMAGE_TOKENS_ESTIMATE = 1600;
/** A PDF page count is unknown without parsing it. */
export const DOCUMENT_TOKENS_ESTIMATE = 3000;

const partText = (p: IrContentPart): { text: string; extra: number } => {
  switch (p.type) {
    case 'text':
      return { text: p.text, extra: 0 };
    case 'thinking':
      return { text: p.text, extra: 0 };
    case 'redacted_thinking':
      return { text: '', extra: 0 };
    case 'image':
      return { text: '', extra: IMAGE_TOKENS_ESTIMATE };
    case 'document':
      return p.source.kind === 'text'
        ? { text: p.source.text, extra: 0 }
        : { text: '', extra: DOCUMENT_TOKENS_ESTIMATE };
    case 'tool_call':
      return { text: `${p.name}\n${p.arguments}`, extra: MESSAGE_OVERHEAD_TOKENS };
    case 'custom_tool_call':
      return { text: `${p.name}\n${p.input}`, extra: MESSAGE_OVERHEAD_TOKENS };
    case 'tool_result': {
      if (typeof p.content === 'string') return { text: p.content, extra: MESSAGE_OVERHEAD_TOKENS };
      let extra = MESSAGE_OVERHEAD_TOKENS;
      const texts: string[] = [];
      for (const c of p.content) {
        const t = partText(c);
        texts.push(t.text);
        extra += t.extra;
      }
      return { text: texts.join('\n'), extra };
    }
  }
};

/** Input tokens of a request: system, messages, tool definitions (as the JSON the model sees). */
export const countRequestTokens = (ir: IrRequest): number => {
  let total = 3; // reply priming
  for (const s of ir.system) total += MESSAGE_OVERHEAD_TOKENS + countInputTextTokens(s.text);
  for (const m of ir.messages) {
    total += MESSAGE_OVERHEAD_TOKENS;
    for (const p of m.content) {
      const { text, extra } = partText(p);
      total += countInputTextTokens(text) + extra;
    }
  }
  for (const t of ir.tools) {
    const def = t.type === 'builtin' ? t.raw : t;
    total += countInputTextTokens(JSON.stringify(def));
  }
  return total;
};

/** The count_tokens answer body of each protocol for a token count. */
export const countTokensResponseBody = (
  protocol: 'anthropic' | 'gemini' | 'openai-responses',
  tokens: number,
): Record<string, unknown> => {
  switch (protocol) {
    case 'anthropic':
      return { input_tokens: tokens };
    case 'gemini':
      return { totalTokens: tokens };
    case 'openai-responses':
      return { object: 'response.input_tokens', input_tokens: tokens };
  }
};
