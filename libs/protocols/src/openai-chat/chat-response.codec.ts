import type { DecodeResponseOptions, EncodeResponseOptions } from '../ir/codec';
import type { JsonObject } from '../ir/common';
import type { IrOutputPart } from '../ir/content';
import type { IrResponse } from '../ir/response';
import { arr, isObj, newId, num, objOrEmpty, str, type Obj } from '../common/json';
import { restoreToolCall } from '../common/output-parts';
import { toOpenAiToolId } from '../common/ids';
import { clientCallId } from './chat-call-id-seal';
import { invalidRequest } from '../errors/error-shapes';
import { IR_TO_OPENAI_STOP, hasToolCalls, stopFromOpenAi, withToolUse } from '../mapping/stop-reasons';
import { usageFromOpenAi, usageToOpenAiChat } from '../mapping/usage';

export const decodeOpenAiChatResponse = (body: unknown, opts: DecodeResponseOptions = {}): IrResponse => {
  if (!isObj(body)) throw invalidRequest('upstream response is not a JSON object');
  const choice = objOrEmpty(arr(body.choices)[0]);
  const msg = objOrEmpty(choice.message);
  const content: IrOutputPart[] = [];
  const reasoning = str(msg.reasoning_content) ?? str(msg.reasoning);
  if (reasoning) content.push({ type: 'thinking', text: reasoning });
  const text = typeof msg.content === 'string' ? msg.content : '';
  if (text !== '') content.push({ type: 'text', text });
  const refusal = str(msg.refusal);
  if (refusal) content.push({ type: 'text', text: refusal, refusal: true });
  for (const tc of arr(msg.tool_calls)) {
    if (!isObj(tc)) continue;
    const id = str(tc.id) ?? newId('call_');
    if (tc.type === 'custom') {
      const c = objOrEmpty(tc.custom);
      content.push({
        type: 'custom_tool_call',
        id,
        name: opts.tools?.toOriginal(str(c.name) ?? '') ?? str(c.name) ?? '',
        input: str(c.input) ?? '',
      });
    } else {
      const f = objOrEmpty(tc.function);
      content.push(restoreToolCall(id, str(f.name) ?? '', str(f.arguments) ?? '{}', opts.tools));
    }
  }
  const stop = withToolUse(stopFromOpenAi(choice.finish_reason), hasToolCalls(content));
  if (refusal && stop.kind === 'end_turn') stop.kind = 'content_filter';
  const ir: IrResponse = {
    id: str(body.id) ?? newId('chatcmpl-'),
    model: str(body.model) ?? opts.model ?? '',
    content,
    stopReason: stop,
    usage: usageFromOpenAi(body.usage),
  };
  const created = num(body.created);
  if (created !== undefined) ir.createdAtSec = created;
  return ir;
};

/** The Chat tool_calls of a response's parts. */
export const chatToolCalls = (parts: readonly IrOutputPart[]): Obj[] =>
  parts.flatMap((p): Obj[] => {
    if (p.type === 'tool_call') {
      return [
        {
          id: clientCallId(p.id, p.signature, p.origin),
          type: 'function',
          function: { name: p.name, arguments: p.arguments === '' ? '{}' : p.arguments },
        },
      ];
    }
    if (p.type === 'custom_tool_call')
      return [{ id: toOpenAiToolId(p.id), type: 'custom', custom: { name: p.name, input: p.input } }];
    return [];
  });

export const encodeOpenAiChatResponse = (ir: IrResponse, opts: EncodeResponseOptions = {}): JsonObject => {
  const text = ir.content.flatMap((p) => (p.type === 'text' && !p.refusal ? [p.text] : [])).join('');
  const refusal = ir.content.flatMap((p) => (p.type === 'text' && p.refusal ? [p.text] : [])).join('');
  const reasoning = ir.content.flatMap((p) => (p.type === 'thinking' ? [p.text] : [])).join('');
  const toolCalls = chatToolCalls(ir.content);
  const message: Obj = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: refusal === '' ? null : refusal,
  };
  // Non-standard but widely understood (DeepSeek, vLLM, OpenRouter): thinking text for Chat clients.
  if (reasoning !== '') message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id: ir.id,
    object: 'chat.completion',
    created: ir.createdAtSec ?? Math.floor(Date.now() / 1000),
    model: opts.model ?? ir.model,
    choices: [{ index: 0, message, finish_reason: IR_TO_OPENAI_STOP[ir.stopReason.kind], logprobs: null }],
    usage: usageToOpenAiChat(ir.usage),
  } as JsonObject;
};
