import type { DecodeResponseOptions, StreamDecoder } from '../ir/codec';
import type { IrError } from '../ir/error';
import type { IrStreamEvent } from '../ir/stream';
import type { SseEvent } from '../sse/sse-event';
import { isObj, type Obj } from '../common/json';
import { errorFromOpenAi } from '../errors/error-shapes';
import { stopFromResponses } from './responses-response.codec';
import { usageFromResponses } from './responses-usage';

interface OpenBlock {
  index: number;
  kind: 'text' | 'thinking' | 'tool_call' | 'custom_tool_call';
  /** Responses item the block belongs to. */
  outputIndex: number;
  sawDelta: boolean;
  sawSummary: boolean;
  summaryIndex: number;
}

/**
 * A Responses event stream (an OpenAI upstream) → IR stream events, as they arrive. Text opens at
 * `content_part.added` (one IR block per content part), calls and reasoning at `output_item.added`; at most one
 * block is open at a time, as the IR contract requires. Usage and the stop reason come from the terminal event.
 */
export class ResponsesStreamDecoder implements StreamDecoder {
  private nextIndex = 0;
  private open: OpenBlock | undefined;
  private started = false;
  private finished = false;
  private toolCalls = false;
  /** Output indexes of messages whose text arrived as content parts. */
  private readonly textSeen = new Set<number>();

  constructor(private readonly opts: DecodeResponseOptions = {}) {}

  push(event: SseEvent): IrStreamEvent[] {
    if (this.finished) return [];
    let data: unknown;
    try {
      data = JSON.parse(event.data) as unknown;
    } catch {
      return [];
    }
    if (!isObj(data)) return [];
    const type = typeof data.type === 'string' ? data.type : (event.event ?? '');
    const out: IrStreamEvent[] = [];
    this.handle(type, data, out);
    return out;
  }

  end(): IrStreamEvent[] {
    if (this.finished) return [];
    const out: IrStreamEvent[] = [];
    this.closeOpen(out);
    this.finished = true;
    out.push({
      type: 'error',
      error: {
        status: 502,
        kind: 'server_error',
        message: 'The upstream Responses stream ended without a terminal event.',
      },
    });
    return out;
  }

  private start(data: Obj, out: IrStreamEvent[]): void {
    if (this.started) return;
    this.started = true;
    const r = isObj(data.response) ? data.response : {};
    out.push({
      type: 'message_start',
      id: typeof r.id === 'string' ? r.id : '',
      model: typeof r.model === 'string' ? r.model : (this.opts.model ?? ''),
      ...(typeof r.created_at === 'number' ? { createdAtSec: r.created_at } : {}),
    });
  }

  private closeOpen(out: IrStreamEvent[]): void {
    if (!this.open) return;
    out.push({ type: 'block_stop', index: this.open.index });
    this.open = undefined;
  }

  private openBlock(kind: OpenBlock['kind'], outputIndex: number, out: IrStreamEvent[], item: Obj): void {
    this.closeOpen(out);
    const index = this.nextIndex++;
    this.open = { index, kind, outputIndex, sawDelta: false, sawSummary: false, summaryIndex: 0 };
    const itemId = typeof item.id === 'string' ? { itemId: item.id } : {};
    const name = (): string => {
      const n = typeof item.name === 'string' ? item.name : '';
      const flat =
        typeof item.namespace === 'string' && item.namespace !== '' ? `${item.namespace}__${n}` : n;
      return this.opts.tools ? this.opts.tools.toOriginal(flat) : flat;
    };
    const callId = typeof item.call_id === 'string' ? item.call_id : '';
    switch (kind) {
      case 'text':
        out.push({ type: 'block_start', index, block: { type: 'text' } });
        return;
      case 'thinking':
        out.push({
          type: 'block_start',
          index,
          block: { type: 'thinking', origin: { provider: 'openai' }, ...itemId },
        });
        return;
      case 'tool_call':
        this.toolCalls = true;
        out.push({
          type: 'block_start',
          index,
          block: { type: 'tool_call', id: callId, name: name(), origin: { provider: 'openai' }, ...itemId },
        });
        return;
      case 'custom_tool_call':
        this.toolCalls = true;
        out.push({
          type: 'block_start',
          index,
          block: {
            type: 'custom_tool_call',
            id: callId,
            name: name(),
            origin: { provider: 'openai' },
            ...itemId,
          },
        });
        return;
    }
  }

  private current(data: Obj, kind: OpenBlock['kind']): OpenBlock | undefined {
    const o = this.open;
    if (!o || o.kind !== kind) return undefined;
    if (typeof data.output_index === 'number' && data.output_index !== o.outputIndex) return undefined;
    return o;
  }

  private handle(type: string, data: Obj, out: IrStreamEvent[]): void {
    const outputIndex = typeof data.output_index === 'number' ? data.output_index : -1;
    const delta = typeof data.delta === 'string' ? data.delta : '';
    switch (type) {
      case 'response.created':
      case 'response.in_progress':
      case 'response.queued':
        this.start(data, out);
        return;
      case 'response.output_item.added': {
        this.start(data, out);
        const item = isObj(data.item) ? data.item : {};
        if (item.type === 'function_call') this.openBlock('tool_call', outputIndex, out, item);
        else if (item.type === 'custom_tool_call') this.openBlock('custom_tool_call', outputIndex, out, item);
        else if (item.type === 'reasoning') this.openBlock('thinking', outputIndex, out, item);
        return;
      }
      case 'response.content_part.added': {
        const part = isObj(data.part) ? data.part : {};
        if (part.type === 'output_text' || part.type === 'refusal') {
          this.textSeen.add(outputIndex);
          this.openBlock('text', outputIndex, out, {});
        }
        return;
      }
      case 'response.output_text.delta':
      case 'response.refusal.delta': {
        const o = this.current(data, 'text');
        if (o && delta !== '')
          out.push({ type: 'block_delta', index: o.index, delta: { type: 'text', text: delta } });
        return;
      }
      case 'response.content_part.done':
        if (this.current(data, 'text')) this.closeOpen(out);
        return;
      case 'response.function_call_arguments.delta': {
        const o = this.current(data, 'tool_call');
        if (o && delta !== '') {
          o.sawDelta = true;
          out.push({ type: 'block_delta', index: o.index, delta: { type: 'arguments', json: delta } });
        }
        return;
      }
      case 'response.custom_tool_call_input.delta': {
        const o = this.current(data, 'custom_tool_call');
        if (o && delta !== '') {
          o.sawDelta = true;
          out.push({ type: 'block_delta', index: o.index, delta: { type: 'custom_input', text: delta } });
        }
        return;
      }
      case 'response.reasoning_summary_text.delta': {
        const o = this.current(data, 'thinking');
        if (!o || delta === '') return;
        const si = typeof data.summary_index === 'number' ? data.summary_index : 0;
        // Several summary parts become one thinking text, separated the way the request decoder joins them.
        const sep = o.sawSummary && si !== o.summaryIndex ? '\n\n' : '';
        o.sawSummary = true;
        o.summaryIndex = si;
        out.push({ type: 'block_delta', index: o.index, delta: { type: 'thinking', text: sep + delta } });
        return;
      }
      case 'response.reasoning_text.delta': {
        // Raw reasoning text (some OpenAI-compatible servers send only this): used when there is no summary.
        const o = this.current(data, 'thinking');
        if (o && !o.sawSummary && delta !== '') {
          o.sawDelta = true;
          out.push({ type: 'block_delta', index: o.index, delta: { type: 'thinking', text: delta } });
        }
        return;
      }
      case 'response.output_item.done': {
        const item = isObj(data.item) ? data.item : {};
        if (item.type === 'message' && !this.textSeen.has(outputIndex)) {
          // A server that skipped the content-part events: the finished message still carries its text.
          for (const part of Array.isArray(item.content) ? item.content : []) {
            const text = isObj(part) ? (typeof part.text === 'string' ? part.text : part.refusal) : undefined;
            if (typeof text !== 'string' || text === '') continue;
            this.openBlock('text', outputIndex, out, {});
            out.push({ type: 'block_delta', index: this.nextIndex - 1, delta: { type: 'text', text } });
            this.closeOpen(out);
          }
          return;
        }
        const o = this.open;
        if (!o || o.outputIndex !== outputIndex) return;
        // Some servers send the full value only on `done`: fill in what the deltas did not carry.
        if (
          o.kind === 'tool_call' &&
          !o.sawDelta &&
          typeof item.arguments === 'string' &&
          item.arguments !== ''
        )
          out.push({
            type: 'block_delta',
            index: o.index,
            delta: { type: 'arguments', json: item.arguments },
          });
        if (
          o.kind === 'custom_tool_call' &&
          !o.sawDelta &&
          typeof item.input === 'string' &&
          item.input !== ''
        )
          out.push({
            type: 'block_delta',
            index: o.index,
            delta: { type: 'custom_input', text: item.input },
          });
        if (o.kind === 'thinking' && typeof item.encrypted_content === 'string')
          out.push({
            type: 'block_delta',
            index: o.index,
            delta: { type: 'signature', signature: item.encrypted_content },
          });
        this.closeOpen(out);
        return;
      }
      case 'response.completed':
      case 'response.incomplete': {
        this.start(data, out);
        this.closeOpen(out);
        const r = isObj(data.response) ? data.response : {};
        out.push({
          type: 'message_delta',
          stopReason: stopFromResponses(
            r.status ?? type.slice('response.'.length),
            r.incomplete_details,
            this.toolCalls,
          ),
          usage: usageFromResponses(r.usage),
        });
        out.push({ type: 'message_stop' });
        this.finished = true;
        return;
      }
      case 'response.failed': {
        this.start(data, out);
        this.closeOpen(out);
        const r = isObj(data.response) ? data.response : {};
        out.push({ type: 'error', error: this.failure(r.error) });
        this.finished = true;
        return;
      }
      case 'error':
        this.start(data, out);
        this.closeOpen(out);
        out.push({ type: 'error', error: this.failure(data) });
        this.finished = true;
        return;
      default:
        return;
    }
  }

  private failure(err: unknown): IrError {
    const e = isObj(err) ? err : {};
    const code = typeof e.code === 'string' ? e.code : undefined;
    const status = code === 'rate_limit_exceeded' ? 429 : code === 'invalid_prompt' ? 400 : 500;
    return errorFromOpenAi(status, {
      error: { message: typeof e.message === 'string' ? e.message : 'The upstream response failed.', code },
    });
  }
}
