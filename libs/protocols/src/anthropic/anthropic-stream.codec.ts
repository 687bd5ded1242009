import type { DecodeResponseOptions, EncodeStreamOptions, StreamDecoder, StreamEncoder } from '../ir/codec';
import type { IrStreamEvent } from '../ir/stream';
import type { IrError } from '../ir/error';
import { emptyUsage, type IrStopReason, type IrUsage } from '../ir/response';
import type { SseEvent } from '../sse/sse-event';
import { isObj, jsonString, jsonStringAt, newId, num, objOrEmpty, str, type Obj } from '../common/json';
import { toAnthropicToolId } from '../common/ids';
import { anthropicErrorBody, errorFromAnthropic } from '../errors/error-shapes';
import { IR_TO_ANTHROPIC_STOP, stopFromAnthropic } from '../mapping/stop-reasons';
import { usageFromAnthropic, usageToAnthropic } from '../mapping/usage';
import { jsonEvent } from '../sse/sse-serializer';
import type { IrOrigin } from '../ir/common';
import { anthropicSignature, sealCallSignature } from './foreign-signature';

const ANTHROPIC_ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** Merges a cumulative `message_delta.usage` into what `message_start` reported (fields absent keep their value). */
const mergeUsage = (base: IrUsage, delta: Obj): IrUsage => {
  const d = usageFromAnthropic(delta);
  return {
    inputUncachedTokens:
      delta.input_tokens !== undefined && delta.input_tokens !== null
        ? d.inputUncachedTokens
        : base.inputUncachedTokens,
    cacheReadTokens:
      delta.cache_read_input_tokens !== undefined && delta.cache_read_input_tokens !== null
        ? d.cacheReadTokens
        : base.cacheReadTokens,
    cacheWriteTokens:
      delta.cache_creation_input_tokens !== undefined && delta.cache_creation_input_tokens !== null
        ? d.cacheWriteTokens
        : base.cacheWriteTokens,
    outputTokens: delta.output_tokens !== undefined ? d.outputTokens : base.outputTokens,
    reasoningTokens: isObj(delta.output_tokens_details) ? d.reasoningTokens : base.reasoningTokens,
    raw: delta,
  };
};

/**
 * The block index (a JSON non-negative integer) at `first`, as JSON.parse reads it, and where it ends;
 * null when there is none there or it is not one JSON allows (a leading zero) or over nine digits.
 */
const indexAt = (data: string, first: number): { index: number; end: number } | null => {
  let i = first;
  let index = 0;
  for (let c = data.charCodeAt(i); c >= 48 && c <= 57; c = data.charCodeAt(++i))
    index = index * 10 + (c - 48);
  const digits = i - first;
  // JSON has no leading zeros (JSON.parse refuses 01); nine digits stay exact.
  if (digits === 0 || digits > 9 || (digits > 1 && data.charCodeAt(first) === 48)) return null;
  return { index, end: i };
};

const TEXT_DELTA_HEAD = '{"type":"content_block_delta","index":';
const TEXT_DELTA_BODY = ',"delta":{"type":"text_delta","text":"';

/**
 * A text delta, read without JSON.parse: exactly `{"type":"content_block_delta","index":N,"delta":
 * {"type":"text_delta","text":"…"}}` as Anthropic writes it. Null for any other event (then parsed
 * whole); for one it accepts, index and text are what a whole parse gives. Most events of a stream are
 * text deltas (20 of 26 in the bench's), and their JSON.parse was most of the decoder's time.
 */
export const plainTextDelta = (data: string): { index: number; text: string } | null => {
  // indexOf rather than startsWith: the cheaper of the two in V8 for this check (see plainContent).
  if (data.indexOf(TEXT_DELTA_HEAD) !== 0) return null;
  const at = indexAt(data, TEXT_DELTA_HEAD.length);
  if (at === null) return null;
  const { index, end: i } = at;
  if (data.indexOf(TEXT_DELTA_BODY, i) !== i) return null;
  const literal = jsonStringAt(data, i + TEXT_DELTA_BODY.length);
  if (literal === null || data.length !== literal.end + 3) return null;
  if (data.charCodeAt(literal.end + 1) !== 125 || data.charCodeAt(literal.end + 2) !== 125) return null;
  return { index, text: literal.value };
};

const BLOCK_STOP_HEAD = '{"type":"content_block_stop","index":';

const TEXT_START_HEAD = '{"type":"content_block_start","index":';
const TEXT_START_TAIL = ',"content_block":{"type":"text","text":""}}';

/**
 * `ping`, `message_stop`, `content_block_stop` and the start of a text block exactly as Anthropic
 * writes them (`{"type":"ping"}`, `{"type":"message_stop"}`, `{"type":"content_block_stop","index":N}`,
 * `{"type":"content_block_start","index":N,"content_block":{"type":"text","text":""}}`), read without
 * JSON.parse: what JSON.parse gives for them, and null for anything else (then parsed whole). Four of
 * the six events a stream's text answer has besides its deltas.
 */
export const plainSmallEvent = (
  data: string,
):
  | { type: 'ping' }
  | { type: 'message_stop' }
  | { type: 'content_block_stop'; index: number }
  | { type: 'content_block_start'; index: number; content_block: { type: 'text'; text: '' } }
  | null => {
  if (data === '{"type":"ping"}') return { type: 'ping' };
  if (data === '{"type":"message_stop"}') return { type: 'message_stop' };
  if (data.indexOf(BLOCK_STOP_HEAD) === 0) {
    const at = indexAt(data, BLOCK_STOP_HEAD.length);
    if (at === null || at.end !== data.length - 1 || data.charCodeAt(at.end) !== 125) return null;
    return { type: 'content_block_stop', index: at.index };
  }
  if (data.indexOf(TEXT_START_HEAD) !== 0) return null;
  const at = indexAt(data, TEXT_START_HEAD.length);
  if (
    at === null ||
    at.end + TEXT_START_TAIL.length !== data.length ||
    data.indexOf(TEXT_START_TAIL, at.end) !== at.end
  )
    return null;
  return { type: 'content_block_start', index: at.index, content_block: { type: 'text', text: '' } };
};

interface OpenBlock {
  irIndex: number;
  /** Custom tool sent upstream as a function: its `{"input": …}` JSON is collected, then emitted as raw input. */
  customJson?: string;
}

/** Anthropic SSE → IR. `ping` is ignored; server-tool blocks (no portable form) are skipped with their deltas. */
export class AnthropicStreamDecoder implements StreamDecoder {
  private nextIndex = 0;
  private readonly blocks = new Map<number, OpenBlock>();
  private usage: IrUsage = emptyUsage();
  private model = '';
  private started = false;
  private finished = false;
  private stopped = false;

  constructor(private readonly opts: DecodeResponseOptions = {}) {}

  push(ev: SseEvent): IrStreamEvent[] {
    if (this.finished) return [];
    const text = plainTextDelta(ev.data);
    if (text !== null) {
      const block = this.blocks.get(text.index);
      return block
        ? [{ type: 'block_delta', index: block.irIndex, delta: { type: 'text', text: text.text } }]
        : [];
    }
    // The small events every stream has, as Anthropic writes them, without JSON.parse.
    const plain = plainSmallEvent(ev.data);
    if (plain !== null) {
      const out: IrStreamEvent[] = [];
      if (plain.type === 'content_block_stop') this.blockStop(plain.index, out);
      else if (plain.type === 'content_block_start') this.textBlockStart(plain.index, out);
      else if (plain.type === 'message_stop') this.messageStop(out);
      return out; // ping
    }
    let data: unknown;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return [];
    }
    if (!isObj(data)) return [];
    const type = str(data.type) ?? ev.event;
    const out: IrStreamEvent[] = [];
    switch (type) {
      case 'message_start': {
        const m = objOrEmpty(data.message);
        this.model = str(m.model) ?? this.opts.model ?? '';
        this.usage = usageFromAnthropic(m.usage);
        this.started = true;
        out.push({
          type: 'message_start',
          id: str(m.id) ?? newId('msg_'),
          model: this.model,
          usage: this.usage,
        });
        break;
      }
      case 'content_block_start': {
        const idx = num(data.index) ?? 0;
        const b = objOrEmpty(data.content_block);
        const irIndex = this.nextIndex;
        switch (b.type) {
          case 'text':
            this.textBlockStart(idx, out);
            if (typeof b.text === 'string' && b.text !== '')
              out.push({ type: 'block_delta', index: irIndex, delta: { type: 'text', text: b.text } });
            return out;
          case 'thinking':
            out.push({
              type: 'block_start',
              index: irIndex,
              block: { type: 'thinking', origin: { provider: 'anthropic', model: this.model } },
            });
            if (typeof b.thinking === 'string' && b.thinking !== '')
              out.push({
                type: 'block_delta',
                index: irIndex,
                delta: { type: 'thinking', text: b.thinking },
              });
            break;
          case 'redacted_thinking':
            out.push({
              type: 'block_start',
              index: irIndex,
              block: {
                type: 'redacted_thinking',
                data: str(b.data) ?? '',
                origin: { provider: 'anthropic', model: this.model },
              },
            });
            break;
          case 'tool_use': {
            const wire = str(b.name) ?? '';
            const name = this.opts.tools?.toOriginal(wire) ?? wire;
            const id = str(b.id) ?? newId('toolu_');
            if (this.opts.tools?.kindOfWire(wire) === 'custom') {
              out.push({
                type: 'block_start',
                index: irIndex,
                block: { type: 'custom_tool_call', id, name, origin: { provider: 'anthropic' } },
              });
              this.blocks.set(idx, { irIndex, customJson: '' });
              this.nextIndex++;
              return out;
            }
            out.push({
              type: 'block_start',
              index: irIndex,
              block: { type: 'tool_call', id, name, origin: { provider: 'anthropic' } },
            });
            break;
          }
          default:
            return out; // server_tool_use, web_search_tool_result …: skipped
        }
        this.blocks.set(idx, { irIndex });
        this.nextIndex++;
        break;
      }
      case 'content_block_delta': {
        const block = this.blocks.get(num(data.index) ?? 0);
        if (!block) break;
        const d = objOrEmpty(data.delta);
        switch (d.type) {
          case 'text_delta':
            out.push({
              type: 'block_delta',
              index: block.irIndex,
              delta: { type: 'text', text: str(d.text) ?? '' },
            });
            break;
          case 'thinking_delta':
            out.push({
              type: 'block_delta',
              index: block.irIndex,
              delta: { type: 'thinking', text: str(d.thinking) ?? '' },
            });
            break;
          case 'signature_delta':
            out.push({
              type: 'block_delta',
              index: block.irIndex,
              delta: { type: 'signature', signature: str(d.signature) ?? '' },
            });
            break;
          case 'input_json_delta': {
            const json = str(d.partial_json) ?? '';
            if (block.customJson !== undefined) block.customJson += json;
            else if (json !== '')
              out.push({ type: 'block_delta', index: block.irIndex, delta: { type: 'arguments', json } });
            break;
          }
          default:
            break; // citations_delta …
        }
        break;
      }
      case 'content_block_stop':
        this.blockStop(num(data.index) ?? 0, out);
        break;
      case 'message_delta': {
        const d = objOrEmpty(data.delta);
        if (isObj(data.usage)) this.usage = mergeUsage(this.usage, data.usage);
        const stop: IrStopReason | undefined =
          d.stop_reason !== undefined && d.stop_reason !== null
            ? stopFromAnthropic(d.stop_reason, d.stop_sequence)
            : undefined;
        out.push(
          stop
            ? { type: 'message_delta', stopReason: stop, usage: this.usage }
            : { type: 'message_delta', usage: this.usage },
        );
        break;
      }
      case 'message_stop':
        this.messageStop(out);
        break;
      case 'error': {
        this.finished = true;
        const e = objOrEmpty(data.error);
        const status = ANTHROPIC_ERROR_STATUS[str(e.type) ?? ''] ?? 500;
        out.push(...this.closeAll(), { type: 'error', error: errorFromAnthropic(status, data) });
        break;
      }
      default:
        break; // ping and future events
    }
    return out;
  }

  /** The start of a text block at the upstream index `idx`: the next IR block. */
  private textBlockStart(idx: number, out: IrStreamEvent[]): void {
    const irIndex = this.nextIndex++;
    out.push({ type: 'block_start', index: irIndex, block: { type: 'text' } });
    this.blocks.set(idx, { irIndex });
  }

  /** `content_block_stop` of the upstream block `idx`: a custom tool's collected input, then the stop. */
  private blockStop(idx: number, out: IrStreamEvent[]): void {
    const block = this.blocks.get(idx);
    if (!block) return;
    this.blocks.delete(idx);
    if (block.customJson !== undefined) {
      let input = block.customJson;
      try {
        const parsed = JSON.parse(block.customJson) as unknown;
        if (isObj(parsed) && typeof parsed.input === 'string') input = parsed.input;
      } catch {
        // keep raw
      }
      if (input !== '')
        out.push({
          type: 'block_delta',
          index: block.irIndex,
          delta: { type: 'custom_input', text: input },
        });
    }
    out.push({ type: 'block_stop', index: block.irIndex });
  }

  private messageStop(out: IrStreamEvent[]): void {
    this.stopped = true;
    this.finished = true;
    out.push(...this.closeAll(), { type: 'message_stop' });
  }

  private closeAll(): IrStreamEvent[] {
    const out: IrStreamEvent[] = [];
    for (const b of this.blocks.values()) out.push({ type: 'block_stop', index: b.irIndex });
    this.blocks.clear();
    return out;
  }

  end(): IrStreamEvent[] {
    if (this.finished) return [];
    this.finished = true;
    if (!this.started || this.stopped) return [];
    // The upstream closed without message_stop: a cut stream.
    const error: IrError = {
      status: 502,
      kind: 'server_error',
      message: 'upstream stream ended before message_stop',
    };
    return [...this.closeAll(), { type: 'error', error }];
  }
}

/**
 * IR → Anthropic SSE. Every frame carries its `event:` line (the SDK dispatches on it). `message_start` goes out
 * first with the input usage known so far; `message_delta` (stop reason and the final cumulative usage, always
 * with `output_tokens`) goes out right before `message_stop`, after every block is closed.
 */
export class AnthropicStreamEncoder implements StreamEncoder {
  private started = false;
  private done = false;
  private nextIndex = 0;
  private readonly indexMap = new Map<number, { index: number; custom: boolean; origin?: IrOrigin }>();
  private open: number | undefined;
  private stop: IrStopReason | undefined;
  private usage: IrUsage = emptyUsage();
  private sawToolCall = false;

  constructor(private readonly opts: EncodeStreamOptions = {}) {}

  private startMessage(out: SseEvent[], id: string, model: string): void {
    if (this.started) return;
    this.started = true;
    const msgId = id.startsWith('msg_') ? id : `msg_${id.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
    out.push(
      jsonEvent(
        {
          type: 'message_start',
          message: {
            id: msgId,
            type: 'message',
            role: 'assistant',
            content: [],
            model: this.opts.model ?? model,
            stop_reason: null,
            stop_sequence: null,
            usage: { ...usageToAnthropic(this.usage), output_tokens: Math.max(1, this.usage.outputTokens) },
          },
        },
        'message_start',
      ),
    );
  }

  private closeOpen(out: SseEvent[]): void {
    if (this.open === undefined) return;
    const entry = [...this.indexMap.values()].find((e) => e.index === this.open);
    if (entry?.custom) out.push(this.delta(this.open, { type: 'input_json_delta', partial_json: '"}' }));
    out.push(jsonEvent({ type: 'content_block_stop', index: this.open }, 'content_block_stop'));
    this.open = undefined;
  }

  private delta(index: number, delta: Obj): SseEvent {
    return jsonEvent({ type: 'content_block_delta', index, delta }, 'content_block_delta');
  }

  push(ev: IrStreamEvent): SseEvent[] {
    if (this.done) return [];
    const out: SseEvent[] = [];
    // Events before a message_start open the message themselves (the id drawn only then).
    if (!this.started && ev.type !== 'message_start' && ev.type !== 'error')
      this.startMessage(out, newId('msg_'), this.opts.model ?? '');
    switch (ev.type) {
      case 'message_start':
        if (ev.usage) this.usage = ev.usage;
        this.startMessage(out, ev.id, ev.model);
        break;
      case 'block_start': {
        this.closeOpen(out);
        const b = ev.block;
        if (b.type === 'tool_call' && b.signature && b.origin && b.origin.provider !== 'anthropic') {
          // A Gemini call's thought signature rides in an empty thinking block just before the call.
          const carrier = this.nextIndex++;
          const seal = sealCallSignature(b.id, b.signature, b.origin);
          out.push(
            jsonEvent(
              {
                type: 'content_block_start',
                index: carrier,
                content_block: { type: 'thinking', thinking: '', signature: '' },
              },
              'content_block_start',
            ),
            this.delta(carrier, { type: 'signature_delta', signature: seal }),
            jsonEvent({ type: 'content_block_stop', index: carrier }, 'content_block_stop'),
          );
        }
        const index = this.nextIndex++;
        let block: Obj;
        let custom = false;
        switch (b.type) {
          case 'text':
            block = { type: 'text', text: '' };
            break;
          case 'thinking':
            block = { type: 'thinking', thinking: '', signature: '' };
            break;
          case 'redacted_thinking':
            block = { type: 'redacted_thinking', data: b.data };
            break;
          case 'tool_call':
            this.sawToolCall = true;
            block = { type: 'tool_use', id: toAnthropicToolId(b.id), name: b.name, input: {} };
            break;
          case 'custom_tool_call':
            this.sawToolCall = true;
            custom = true;
            block = { type: 'tool_use', id: toAnthropicToolId(b.id), name: b.name, input: {} };
            break;
        }
        const origin = b.type === 'thinking' ? b.origin : undefined;
        this.indexMap.set(ev.index, { index, custom, ...(origin ? { origin } : {}) });
        this.open = index;
        out.push(
          jsonEvent({ type: 'content_block_start', index, content_block: block }, 'content_block_start'),
        );
        if (custom) out.push(this.delta(index, { type: 'input_json_delta', partial_json: '{"input":"' }));
        break;
      }
      case 'block_delta': {
        const entry = this.indexMap.get(ev.index);
        if (!entry || entry.index !== this.open) break; // a delta for a closed block cannot be expressed
        const d = ev.delta;
        switch (d.type) {
          case 'text':
            // The commonest event, written as text: what jsonEvent gives for the same object.
            out.push({
              event: 'content_block_delta',
              data: `{"type":"content_block_delta","index":${JSON.stringify(entry.index)},"delta":{"type":"text_delta","text":${jsonString(d.text)}}}`,
            });
            break;
          case 'thinking':
            out.push(this.delta(entry.index, { type: 'thinking_delta', thinking: d.text }));
            break;
          case 'signature':
            // Anthropic's own signatures as they are; another provider's sealed (see foreign-signature.ts).
            if (entry.origin !== undefined) {
              const signature = anthropicSignature(d.signature, entry.origin);
              out.push(this.delta(entry.index, { type: 'signature_delta', signature }));
            }
            break;
          case 'arguments':
            out.push(this.delta(entry.index, { type: 'input_json_delta', partial_json: d.json }));
            break;
          case 'custom_input':
            // The raw input travels inside {"input":"…"}: each fragment is JSON-escaped on the way.
            out.push(
              this.delta(entry.index, {
                type: 'input_json_delta',
                partial_json: JSON.stringify(d.text).slice(1, -1),
              }),
            );
            break;
        }
        break;
      }
      case 'block_stop': {
        const entry = this.indexMap.get(ev.index);
        if (entry && entry.index === this.open) this.closeOpen(out);
        break;
      }
      case 'message_delta':
        if (ev.stopReason) this.stop = ev.stopReason;
        if (ev.usage) this.usage = ev.usage;
        break;
      case 'message_stop':
        out.push(...this.finish());
        break;
      case 'error':
        this.done = true;
        out.push(jsonEvent(anthropicErrorBody(ev.error), 'error'));
        break;
    }
    return out;
  }

  private finish(): SseEvent[] {
    if (this.done) return [];
    this.done = true;
    const out: SseEvent[] = [];
    if (!this.started) this.startMessage(out, newId('msg_'), this.opts.model ?? '');
    this.closeOpen(out);
    let kind = this.stop?.kind ?? 'end_turn';
    if (this.sawToolCall && (kind === 'end_turn' || kind === 'other')) kind = 'tool_use';
    const stopReason = IR_TO_ANTHROPIC_STOP[kind];
    out.push(
      jsonEvent(
        {
          type: 'message_delta',
          delta: { stop_reason: stopReason, stop_sequence: this.stop?.stopSequence ?? null },
          usage: usageToAnthropic(this.usage),
        },
        'message_delta',
      ),
      jsonEvent({ type: 'message_stop' }, 'message_stop'),
    );
    return out;
  }

  end(): SseEvent[] {
    return this.finish();
  }
}

/** A keep-alive the gateway may send to Anthropic clients while the upstream is slow (the SDK skips it). */
export const anthropicPingEvent = (): SseEvent => jsonEvent({ type: 'ping' }, 'ping');
