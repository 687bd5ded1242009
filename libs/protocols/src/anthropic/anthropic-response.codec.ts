import type { DecodeResponseOptions, EncodeResponseOptions } from '../ir/codec';
import type { JsonObject } from '../ir/common';
import type { IrOutputPart } from '../ir/content';
import type { IrResponse } from '../ir/response';
import { arr, isObj, newId, parseArguments, str, stringifyArguments, type Obj } from '../common/json';
import { restoreToolCall } from '../common/output-parts';
import { toAnthropicToolId } from '../common/ids';
import { invalidRequest } from '../errors/error-shapes';
import { IR_TO_ANTHROPIC_STOP, hasToolCalls, stopFromAnthropic, withToolUse } from '../mapping/stop-reasons';
import { usageFromAnthropic, usageToAnthropic } from '../mapping/usage';
import { anthropicSignature, callSignatureCarrier } from './foreign-signature';
import { sealReasoning } from '../responses/reasoning-envelope';

export const decodeAnthropicResponse = (body: unknown, opts: DecodeResponseOptions = {}): IrResponse => {
  if (!isObj(body)) throw invalidRequest('upstream response is not a JSON object');
  const model = str(body.model) ?? opts.model ?? '';
  const content: IrOutputPart[] = [];
  for (const b of arr(body.content)) {
    if (!isObj(b)) continue;
    switch (b.type) {
      case 'text':
        content.push({ type: 'text', text: str(b.text) ?? '' });
        break;
      case 'thinking': {
        const sig = str(b.signature);
        content.push({
          type: 'thinking',
          text: str(b.thinking) ?? '',
          ...(sig ? { signature: sig } : {}),
          origin: { provider: 'anthropic', model },
        });
        break;
      }
      case 'redacted_thinking':
        content.push({
          type: 'redacted_thinking',
          data: str(b.data) ?? '',
          origin: { provider: 'anthropic', model },
        });
        break;
      case 'tool_use':
        content.push(
          restoreToolCall(
            str(b.id) ?? newId('toolu_'),
            str(b.name) ?? '',
            stringifyArguments(b.input),
            opts.tools,
            { provider: 'anthropic' },
          ),
        );
        break;
      default:
        break; // server tool blocks have no portable form
    }
  }
  return {
    id: str(body.id) ?? newId('msg_'),
    model,
    content,
    stopReason: withToolUse(stopFromAnthropic(body.stop_reason, body.stop_sequence), hasToolCalls(content)),
    usage: usageFromAnthropic(body.usage),
  };
};

export const anthropicContentBlock = (p: IrOutputPart): Obj => {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text };
    case 'thinking':
      return { type: 'thinking', thinking: p.text, signature: anthropicSignature(p.signature, p.origin) };
    case 'redacted_thinking':
      return p.origin === undefined || p.origin.provider === 'anthropic'
        ? { type: 'redacted_thinking', data: p.data }
        : {
            type: 'thinking',
            thinking: '',
            signature: sealReasoning({ origin: p.origin, redacted: p.data }),
          };
    case 'tool_call':
      return {
        type: 'tool_use',
        id: toAnthropicToolId(p.id),
        name: p.name,
        input: parseArguments(p.arguments),
      };
    case 'custom_tool_call':
      return { type: 'tool_use', id: toAnthropicToolId(p.id), name: p.name, input: { input: p.input } };
  }
};

export const encodeAnthropicResponse = (ir: IrResponse, opts: EncodeResponseOptions = {}): JsonObject => {
  const id = ir.id.startsWith('msg_') ? ir.id : `msg_${ir.id.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  const content = ir.content
    .filter((p) => !(p.type === 'text' && p.text === ''))
    .flatMap((p) => {
      const carrier = callSignatureCarrier(p);
      return carrier ? [carrier, anthropicContentBlock(p)] : [anthropicContentBlock(p)];
    });
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: opts.model ?? ir.model,
    content,
    stop_reason: IR_TO_ANTHROPIC_STOP[ir.stopReason.kind],
    stop_sequence: ir.stopReason.stopSequence ?? null,
    usage: usageToAnthropic(ir.usage),
  } as JsonObject;
};
