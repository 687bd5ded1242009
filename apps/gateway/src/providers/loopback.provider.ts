import type { IrRequest, IrResponse, IrStreamEvent, IrUsage } from '@sluice/protocols';
import { countRequestTokens, countTextTokens } from '@sluice/protocols';

export const LOOPBACK_MODEL = 'loopback';
export const LOOPBACK_PROVIDER = 'loopback';

/**
 * The built-in model: answers without any provider by echoing the last user message, in whatever
 * protocol the client speaks (it produces the intermediate representation; the client's codec
 * encodes it). Token counts come from a real tokenizer, so usage, metering and budgets behave as
 * they will with a provider.
 */
export function loopbackResponse(ir: IrRequest, requestId: string, nowMs: number): IrResponse {
  const lastUser = [...ir.messages].reverse().find((m) => m.role === 'user');
  const text = (lastUser?.content ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('');
  const usage: IrUsage = {
    inputUncachedTokens: countRequestTokens(ir),
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: countTextTokens(text),
    reasoningTokens: 0,
  };
  return {
    id: `loopback-${requestId.replace(/-/g, '')}`,
    model: LOOPBACK_MODEL,
    content: text === '' ? [] : [{ type: 'text', text }],
    stopReason: { kind: 'end_turn' },
    usage: { ...usage, raw: { input_tokens: usage.inputUncachedTokens, output_tokens: usage.outputTokens } },
    createdAtSec: Math.floor(nowMs / 1000),
  };
}

/** The same answer as a stream: a text block in word-sized pieces, then stop and usage. */
export function loopbackStream(res: IrResponse): IrStreamEvent[] {
  const text = res.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
  const events: IrStreamEvent[] = [
    {
      type: 'message_start',
      id: res.id,
      model: res.model,
      ...(res.createdAtSec !== undefined ? { createdAtSec: res.createdAtSec } : {}),
    },
  ];
  if (text !== '') {
    events.push({ type: 'block_start', index: 0, block: { type: 'text' } });
    for (const piece of splitWords(text))
      events.push({ type: 'block_delta', index: 0, delta: { type: 'text', text: piece } });
    events.push({ type: 'block_stop', index: 0 });
  }
  events.push(
    { type: 'message_delta', stopReason: res.stopReason, usage: res.usage },
    { type: 'message_stop' },
  );
  return events;
}

/** Word-sized pieces, whitespace kept with the word before it, so the pieces join back exactly. */
export function splitWords(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}
