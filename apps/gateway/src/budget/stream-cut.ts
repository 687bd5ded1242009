import {
  getCodec,
  makeError,
  serializeSseEvent,
  type IrStreamEvent,
  type ProtocolId,
} from '@sluice/protocols';
import type { RequestContext } from '../common/request-context';

/** Text-bearing deltas in a batch of stream events: what a stream in flight has produced, in characters. */
export function streamedChars(events: readonly IrStreamEvent[]): number {
  let n = 0;
  for (const ev of events) {
    if (ev.type !== 'block_delta') continue;
    const d = ev.delta;
    if (d.type === 'text' || d.type === 'thinking' || d.type === 'custom_input') n += d.text.length;
    else if (d.type === 'arguments') n += d.json.length;
  }
  return n;
}

const CUT_MESSAGE =
  'The budget ran out during this response: the rest was not generated (hard budget, see the ledger).';

const cutEvent = (): IrStreamEvent => ({
  type: 'error',
  error: makeError(429, CUT_MESSAGE, 'insufficient_quota'),
});

/**
 * The frames that end a stream cut off by a hard budget, in the client's protocol: its own error event
 * (OpenAI: an error chunk then [DONE]; Anthropic: `event: error`; Gemini: an error object), so SDKs raise a
 * clear error instead of seeing a truncated stream. `encode` is the translation's encoder when there is one.
 */
export function budgetCutFrames(
  ctx: RequestContext,
  client: ProtocolId,
  model: string,
  encode?: (ev: IrStreamEvent) => string,
): string {
  ctx.errorCode = 'budget_exceeded';
  if (encode) return encode(cutEvent());
  const encoder = getCodec(client).createStreamEncoder({ model });
  return encoder.push(cutEvent()).map(serializeSseEvent).join('');
}

/** The same for a Responses stream passed through from OpenAI: an `error` event as the Responses API sends. */
export function responsesBudgetCutFrame(ctx: RequestContext): string {
  ctx.errorCode = 'budget_exceeded';
  const data = { type: 'error', code: 'insufficient_quota', message: CUT_MESSAGE, param: null };
  return `event: error\ndata: ${JSON.stringify(data)}\n\n`;
}
