import type { DecodeResponseOptions, EncodeResponseOptions } from '../ir/codec';
import type { JsonObject } from '../ir/common';
import type { IrOutputPart } from '../ir/content';
import type { IrResponse, IrStopReason } from '../ir/response';
import { arr, isObj, newId, objOrEmpty, parseArguments, str, type Obj } from '../common/json';
import { restoreToolCall } from '../common/output-parts';
import { invalidRequest } from '../errors/error-shapes';
import { IR_TO_GEMINI_STOP, hasToolCalls, stopFromGemini, withToolUse } from '../mapping/stop-reasons';
import { usageFromGemini, usageToGemini } from '../mapping/usage';
import { GEMINI_SYNTHETIC_ID_PREFIX, isGeminiIssuedId } from './gemini-request.codec';

/** One Gemini part → IR output part (shared by the stream decoder). */
export const decodeGeminiOutputPart = (
  p: Obj,
  model: string,
  opts: DecodeResponseOptions,
): IrOutputPart | undefined => {
  const sig = str(p.thoughtSignature);
  if (typeof p.text === 'string') {
    if (p.thought === true)
      return {
        type: 'thinking',
        text: p.text,
        ...(sig ? { signature: sig } : {}),
        origin: { provider: 'gemini', model },
      };
    return { type: 'text', text: p.text };
  }
  if (isObj(p.functionCall)) {
    const fc = p.functionCall;
    const part = restoreToolCall(
      str(fc.id) ?? newId(GEMINI_SYNTHETIC_ID_PREFIX),
      str(fc.name) ?? '',
      JSON.stringify(fc.args ?? {}),
      opts.tools,
      { provider: 'gemini', model },
    );
    if (sig && part.type === 'tool_call') part.signature = sig;
    return part;
  }
  return undefined;
};

/** Stop reason of a Gemini response, including a blocked prompt (no candidates, `promptFeedback.blockReason`). */
export const geminiStop = (body: Obj): IrStopReason | undefined => {
  const cand = objOrEmpty(arr(body.candidates)[0]);
  if (typeof cand.finishReason === 'string') return stopFromGemini(cand.finishReason);
  const block = str(objOrEmpty(body.promptFeedback).blockReason);
  if (block) return { kind: 'content_filter', raw: block };
  return undefined;
};

export const decodeGeminiResponse = (body: unknown, opts: DecodeResponseOptions = {}): IrResponse => {
  if (!isObj(body)) throw invalidRequest('upstream response is not a JSON object');
  const model = str(body.modelVersion) ?? opts.model ?? '';
  const cand = objOrEmpty(arr(body.candidates)[0]);
  const content: IrOutputPart[] = [];
  for (const p of arr(objOrEmpty(cand.content).parts)) {
    if (!isObj(p)) continue;
    const part = decodeGeminiOutputPart(p, model, opts);
    if (part) content.push(part);
  }
  return {
    id: str(body.responseId) ?? newId('gen-'),
    model,
    content,
    stopReason: withToolUse(geminiStop(body) ?? { kind: 'end_turn' }, hasToolCalls(content)),
    usage: usageFromGemini(body.usageMetadata),
  };
};

export const geminiPart = (p: IrOutputPart): Obj | undefined => {
  switch (p.type) {
    case 'text':
      return p.text === '' ? undefined : { text: p.text };
    case 'thinking': {
      const part: Obj = { text: p.text, thought: true };
      if (p.signature && p.origin?.provider === 'gemini') part.thoughtSignature = p.signature;
      return part;
    }
    case 'redacted_thinking':
      return undefined;
    case 'tool_call': {
      const fc: Obj = { name: p.name, args: parseArguments(p.arguments) };
      if (isGeminiIssuedId(p.id, p.origin)) fc.id = p.id;
      const part: Obj = { functionCall: fc };
      if (p.signature && p.origin?.provider === 'gemini') part.thoughtSignature = p.signature;
      return part;
    }
    case 'custom_tool_call':
      return { functionCall: { name: p.name, args: { input: p.input } } };
  }
};

export const encodeGeminiResponse = (ir: IrResponse, opts: EncodeResponseOptions = {}): JsonObject => {
  const parts = ir.content.map(geminiPart).filter((p): p is Obj => p !== undefined);
  return {
    candidates: [
      { content: { role: 'model', parts }, finishReason: IR_TO_GEMINI_STOP[ir.stopReason.kind], index: 0 },
    ],
    usageMetadata: usageToGemini(ir.usage),
    modelVersion: opts.model ?? ir.model,
    responseId: ir.id,
  } as JsonObject;
};
