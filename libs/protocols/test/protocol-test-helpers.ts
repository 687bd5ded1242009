import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSse, type SseEvent } from '../src';
import fc from 'fast-check';

/** A trimmed request body recorded from a real client (see fixtures/*.json `source`). */
export const fixture = (name: string): { source: string; model?: string; body: Record<string, unknown> } =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', `${name}.json`), 'utf8')) as {
    source: string;
    model?: string;
    body: Record<string, unknown>;
  };

/** Deterministic pseudo-random chunk boundaries, so a failure can be replayed. */
export const splitAt = (text: string, seed: number): string[] => {
  const out: string[] = [];
  let s = seed;
  let i = 0;
  while (i < text.length) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const len = 1 + (s % 17);
    out.push(text.slice(i, i + len));
    i += len;
  }
  return out;
};

/** SSE text → [{event, data parsed}] for assertions. */
export const frames = (sse: string): { event?: string; data: unknown }[] =>
  parseSse(sse).map((e: SseEvent) => ({
    ...(e.event !== undefined ? { event: e.event } : {}),
    data: e.data === '[DONE]' ? '[DONE]' : (JSON.parse(e.data) as unknown),
  }));

export const sse = (events: { event?: string; data: unknown }[]): string =>
  events
    .map(
      (e) =>
        `${e.event !== undefined ? `event: ${e.event}\n` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`,
    )
    .join('');

/**
 * Strings that JSON must escape or that are easy to get wrong in hand-written JSON: quotes, backslashes,
 * control characters, multi-byte characters, a lone surrogate, and any one character.
 */
export const jsonHostileText = fc.string({
  unit: fc.oneof(fc.constantFrom('"', '\\', '\n', '\u0000', '€', '\ud800'), fc.string({ maxLength: 1 })),
});
