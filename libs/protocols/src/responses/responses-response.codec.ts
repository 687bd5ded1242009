import type { IrOutputPart, IrThinkingPart } from '../ir/content';
import type { IrResponse, IrStopReason } from '../ir/response';
import type { IrStreamEvent } from '../ir/stream';
import type { DecodeResponseOptions } from '../ir/codec';
import { isObj, type Obj } from '../common/json';
import { hasToolCalls, withToolUse } from '../mapping/stop-reasons';
import { invalidRequest } from '../errors/error-shapes';
import { ResponsesStreamWriter, type ResponsesEncodeOptions } from './responses-stream.encoder';
import { usageFromResponses } from './responses-usage';
import type { ResponsesResponse } from './responses-wire.types';

/** The IR stream a complete response would have produced: lets one state machine serve both shapes. */
export const irResponseToStreamEvents = (ir: IrResponse): IrStreamEvent[] => {
  const events: IrStreamEvent[] = [
    {
      type: 'message_start',
      id: ir.id,
      model: ir.model,
      ...(ir.createdAtSec !== undefined ? { createdAtSec: ir.createdAtSec } : {}),
    },
  ];
  ir.content.forEach((part, index) => {
    switch (part.type) {
      case 'text':
        events.push({ type: 'block_start', index, block: { type: 'text' } });
        events.push({ type: 'block_delta', index, delta: { type: 'text', text: part.text } });
        break;
      case 'thinking':
        events.push({
          type: 'block_start',
          index,
          block: {
            type: 'thinking',
            ...(part.origin ? { origin: part.origin } : {}),
            ...(part.itemId ? { itemId: part.itemId } : {}),
          },
        });
        events.push({ type: 'block_delta', index, delta: { type: 'thinking', text: part.text } });
        if (part.signature !== undefined)
          events.push({
            type: 'block_delta',
            index,
            delta: { type: 'signature', signature: part.signature },
          });
        break;
      case 'redacted_thinking':
        events.push({
          type: 'block_start',
          index,
          block: {
            type: 'redacted_thinking',
            data: part.data,
            ...(part.origin ? { origin: part.origin } : {}),
          },
        });
        break;
      case 'tool_call':
        events.push({
          type: 'block_start',
          index,
          block: {
            type: 'tool_call',
            id: part.id,
            name: part.name,
            ...(part.origin ? { origin: part.origin } : {}),
            ...(part.itemId ? { itemId: part.itemId } : {}),
            ...(part.signature !== undefined ? { signature: part.signature } : {}),
          },
        });
        events.push({ type: 'block_delta', index, delta: { type: 'arguments', json: part.arguments } });
        break;
      case 'custom_tool_call':
        events.push({
          type: 'block_start',
          index,
          block: {
            type: 'custom_tool_call',
            id: part.id,
            name: part.name,
            ...(part.origin ? { origin: part.origin } : {}),
            ...(part.itemId ? { itemId: part.itemId } : {}),
          },
        });
        events.push({ type: 'block_delta', index, delta: { type: 'custom_input', text: part.input } });
        break;
    }
    events.push({ type: 'block_stop', index });
  });
  events.push({ type: 'message_delta', stopReason: ir.stopReason, usage: ir.usage });
  events.push({ type: 'message_stop' });
  return events;
};

/** IR response → the non-streamed Responses object (same ids, items and usage as the stream would give). */
export const encodeResponsesResponse = (
  ir: IrResponse,
  opts: ResponsesEncodeOptions = {},
): ResponsesResponse => {
  const writer = new ResponsesStreamWriter(opts);
  for (const ev of irResponseToStreamEvents(ir)) writer.push(ev);
  writer.end();
  return writer.snapshot();
};

/** Responses `status` + `incomplete_details` → IR stop reason (tool use derived from the items, not trusted). */
export const stopFromResponses = (status: unknown, incomplete: unknown, toolCalls: boolean): IrStopReason => {
  const reason = isObj(incomplete) && typeof incomplete.reason === 'string' ? incomplete.reason : undefined;
  if (status === 'incomplete') {
    if (reason === 'content_filter') return { kind: 'content_filter', raw: reason };
    return { kind: 'max_tokens', raw: reason ?? 'incomplete' };
  }
  if (status === 'failed' || status === 'cancelled') return { kind: 'error', raw: status };
  return withToolUse({ kind: 'end_turn', raw: typeof status === 'string' ? status : 'completed' }, toolCalls);
};

/** A `namespace` on an upstream call is flattened the same way the request decoder flattens namespace tools. */
const upstreamName = (item: Obj, opts: DecodeResponseOptions): string => {
  const name = typeof item.name === 'string' ? item.name : '';
  const flat =
    typeof item.namespace === 'string' && item.namespace !== '' ? `${item.namespace}__${name}` : name;
  return opts.tools ? opts.tools.toOriginal(flat) : flat;
};

const texts = (v: unknown, type: string): string[] =>
  Array.isArray(v)
    ? v.flatMap((p) => (isObj(p) && p.type === type && typeof p.text === 'string' ? [p.text] : []))
    : [];

/** One Responses output item → IR parts (hosted-tool items such as web_search_call have no IR form). */
export const outputItemToIr = (item: unknown, opts: DecodeResponseOptions = {}): IrOutputPart[] => {
  if (!isObj(item)) return [];
  const itemId = typeof item.id === 'string' ? item.id : undefined;
  switch (item.type) {
    case 'message': {
      const content = Array.isArray(item.content) ? item.content : [];
      return content.flatMap((p): IrOutputPart[] => {
        if (!isObj(p)) return [];
        if (p.type === 'output_text' && typeof p.text === 'string') return [{ type: 'text', text: p.text }];
        if (p.type === 'refusal' && typeof p.refusal === 'string')
          return [{ type: 'text', text: p.refusal, refusal: true }];
        return [];
      });
    }
    case 'function_call':
      return [
        {
          type: 'tool_call',
          id: typeof item.call_id === 'string' ? item.call_id : '',
          name: upstreamName(item, opts),
          arguments: typeof item.arguments === 'string' ? item.arguments : '{}',
          origin: { provider: 'openai' },
          ...(itemId ? { itemId } : {}),
        },
      ];
    case 'custom_tool_call':
      return [
        {
          type: 'custom_tool_call',
          id: typeof item.call_id === 'string' ? item.call_id : '',
          name: upstreamName(item, opts),
          input: typeof item.input === 'string' ? item.input : '',
          origin: { provider: 'openai' },
          ...(itemId ? { itemId } : {}),
        },
      ];
    case 'reasoning': {
      const summary = texts(item.summary, 'summary_text');
      const raw = texts(item.content, 'reasoning_text');
      const part: IrThinkingPart = {
        type: 'thinking',
        text: (summary.length > 0 ? summary : raw).join('\n\n'),
        origin: { provider: 'openai' },
      };
      if (typeof item.encrypted_content === 'string') part.signature = item.encrypted_content;
      if (itemId) part.itemId = itemId;
      if (summary.length > 1) part.summary = summary;
      return [part];
    }
    default:
      return [];
  }
};

/** A Responses response object (an OpenAI upstream's non-streamed answer) → IR. */
export const decodeResponsesResponse = (body: unknown, opts: DecodeResponseOptions = {}): IrResponse => {
  if (!isObj(body) || body.object !== 'response' || !Array.isArray(body.output))
    throw invalidRequest('The upstream answer is not a Responses object.');
  const content = body.output.flatMap((item) => outputItemToIr(item, opts));
  const out: IrResponse = {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : (opts.model ?? ''),
    content,
    stopReason: stopFromResponses(body.status, body.incomplete_details, hasToolCalls(content)),
    usage: usageFromResponses(body.usage),
  };
  if (typeof body.created_at === 'number') out.createdAtSec = body.created_at;
  return out;
};
