import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { GatewayReply, GatewayRequest } from '../common/exchange';
import { decodeResponsesRequest, type IrRequest, type IrStreamEvent, type SseEvent } from '@sluice/protocols';
import type { RequestContext } from '../common/request-context';
import { ResponseDigest } from './response-digest';

// The per-request evidence of the usage event (A9.7): body hashes, time to first token, and what the
// gateway's own tokenizer is to count once the response is finished. The data-plane services call these
// as one-line hooks; everything here is O(bytes written) on the hot path and defers the rest.

type Chunk = string | Uint8Array;

/** Answer text beyond this many characters is not kept (the firewall's answer collector has the same bound). */
const ANSWER_LIMIT_CHARS = 1 << 20;

function isChunk(v: unknown): v is Chunk {
  return typeof v === 'string' || v instanceof Uint8Array;
}

/**
 * Hashes the response body exactly as it goes to the client: every `write` and `end` on the raw response,
 * whether Fastify sends a whole JSON body or a service streams SSE frames itself. The bytes are fed to
 * SHA-256 as they pass; nothing is buffered. Idempotent per request.
 */
export function tapResponse(
  req: GatewayRequest,
  reply: GatewayReply,
  input: RequestContext['countInput'] = null,
): void {
  const ctx = req.sluice;
  ctx.requestBody ??= req.rawBody ?? null;
  if (input !== null) ctx.countInput = input;
  if (ctx.responseHash !== null) return;
  const hash = new ResponseDigest();
  ctx.responseHash = hash;
  const out: ServerResponse = reply.raw;
  const write = out.write.bind(out) as (c: unknown, e?: unknown, cb?: unknown) => boolean;
  const end = out.end.bind(out) as (c?: unknown, e?: unknown, cb?: unknown) => ServerResponse;
  const feed = (chunk: unknown, encoding: unknown): void => {
    if (!isChunk(chunk)) return;
    if (typeof chunk === 'string')
      hash.update(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : undefined);
    else hash.update(chunk);
  };
  out.write = ((chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
    feed(chunk, encoding);
    return write(chunk, encoding, cb);
  }) as ServerResponse['write'];
  out.end = ((chunk?: unknown, encoding?: unknown, cb?: unknown): ServerResponse => {
    if (typeof chunk !== 'function') feed(chunk, encoding);
    return end(chunk, encoding, cb);
  }) as ServerResponse['end'];
}

/** Whether a stream event carries content the client reads: text, tool-call arguments, custom input. */
export function isContentDelta(ev: IrStreamEvent): boolean {
  if (ev.type !== 'block_delta') return false;
  const t = ev.delta.type;
  return t === 'text' || t === 'arguments' || t === 'custom_input';
}

/** Records the time to first token at the first content or tool delta (not thinking). */
export function markFirstToken(ctx: RequestContext, ev: IrStreamEvent): void {
  if (ctx.firstTokenAt === null && isContentDelta(ev)) ctx.firstTokenAt = performance.now();
}

/** Keeps what the model wrote for the gateway's token count; returns it, so a call site can wrap an argument. */
export function noteAnswer(ctx: RequestContext, answer: string): string {
  ctx.answer = answer;
  return answer;
}

/** The same when the answer is only worth extracting after the response (a passthrough body). */
export function noteAnswerLater(ctx: RequestContext, answer: () => string): void {
  ctx.answer = answer;
}

const RESPONSES_DELTA_EVENTS = new Set([
  'response.output_text.delta',
  'response.refusal.delta',
  'response.function_call_arguments.delta',
  'response.custom_tool_call_input.delta',
]);

type SseTapState = { deltas: string[]; chars: number };
const sseTaps = new WeakMap<RequestContext, SseTapState>();

/**
 * A Responses passthrough stream: TTFT at the first output delta; the deltas' frames are kept by reference
 * (not parsed on the way) and read after the response for the token count.
 */
export function tapResponsesSse(ctx: RequestContext, ev: SseEvent): void {
  const name = ev.event ?? '';
  if (!RESPONSES_DELTA_EVENTS.has(name)) return;
  if (ctx.firstTokenAt === null) ctx.firstTokenAt = performance.now();
  let st = sseTaps.get(ctx);
  if (!st) {
    st = { deltas: [], chars: 0 };
    sseTaps.set(ctx, st);
    const state = st;
    ctx.answer = () => sseAnswerText(state.deltas);
  }
  if (st.chars >= ANSWER_LIMIT_CHARS) return;
  st.deltas.push(ev.data);
  st.chars += ev.data.length;
}

/** The `delta` strings of Responses delta frames, joined. */
export function sseAnswerText(frames: readonly string[]): string {
  const parts: string[] = [];
  for (const f of frames) {
    try {
      const d = (JSON.parse(f) as { delta?: unknown }).delta;
      if (typeof d === 'string') parts.push(d);
    } catch {
      // A frame that is not JSON carries no text.
    }
  }
  return parts.join('');
}

/** Text, refusals, tool arguments and custom input of a Responses object (a passthrough JSON answer). */
export function responsesAnswerText(response: unknown): string {
  const output = isObj(response) && Array.isArray(response['output']) ? response['output'] : [];
  const parts: string[] = [];
  for (const item of output) {
    if (!isObj(item)) continue;
    if (item['type'] === 'message' && Array.isArray(item['content'])) {
      for (const c of item['content']) {
        if (!isObj(c)) continue;
        if (typeof c['text'] === 'string') parts.push(c['text']);
        else if (typeof c['refusal'] === 'string') parts.push(c['refusal']);
      }
    } else if (item['type'] === 'function_call' && typeof item['arguments'] === 'string') {
      parts.push(item['arguments']);
    } else if (item['type'] === 'custom_tool_call' && typeof item['input'] === 'string') {
      parts.push(item['input']);
    }
  }
  return parts.join('\n');
}

/**
 * The input of a Responses request for the count, decoded only when counted (after the response). A request
 * continuing a previous response has input the gateway may not hold in full: not counted.
 */
export function responsesInput(body: unknown): () => IrRequest | null {
  return () => {
    if (!isObj(body) || (typeof body['previous_response_id'] === 'string' && body['previous_response_id']))
      return null;
    return decodeResponsesRequest(body).ir;
  };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
