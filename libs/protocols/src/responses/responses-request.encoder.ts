import type { JsonObject } from '../ir/common';
import type { IrContentPart, IrImageSource, IrToolResultContent } from '../ir/content';
import type { EncodeRequestOptions, EncodedRequest } from '../ir/codec';
import type { IrRequest, IrTool } from '../ir/request';
import { ToolNameMap } from '../common/tool-names';
import { resolveModelProfile } from '../common/model-profiles';
import { isObj, toDataUrl, type Obj } from '../common/json';
import { budgetToEffort } from '../mapping/reasoning';

// IR → Responses request body, for OpenAI models reachable only through /v1/responses. Stateless: the whole
// conversation goes in `input` with `store: false`; reasoning is replayed only when OpenAI made it.

const imageUrl = (s: IrImageSource): Obj | undefined => {
  switch (s.kind) {
    case 'url':
      return { image_url: s.url };
    case 'base64':
      return { image_url: toDataUrl(s.mediaType, s.data) };
    case 'file':
      return s.origin === undefined || s.origin.provider === 'openai' ? { file_id: s.fileId } : undefined;
  }
};

const inputPart = (p: IrToolResultContent, dropped: string[], at: string): Obj | undefined => {
  switch (p.type) {
    case 'text':
      return { type: 'input_text', text: p.text };
    case 'image': {
      const src = imageUrl(p.source);
      if (!src) {
        dropped.push(`${at}.image`);
        return undefined;
      }
      return { type: 'input_image', ...src, detail: p.detail ?? 'auto' };
    }
    case 'document': {
      const s = p.source;
      const name = p.filename !== undefined ? { filename: p.filename } : {};
      if (s.kind === 'text') return { type: 'input_text', text: s.text };
      if (s.kind === 'base64')
        return { type: 'input_file', file_data: toDataUrl(s.mediaType, s.data), ...name };
      if (s.kind === 'url') return { type: 'input_file', file_url: s.url, ...name };
      if (s.origin === undefined || s.origin.provider === 'openai')
        return { type: 'input_file', file_id: s.fileId, ...name };
      dropped.push(`${at}.document`);
      return undefined;
    }
  }
};

const encodeTool = (t: IrTool, names: ToolNameMap, dropped: string[]): Obj | undefined => {
  switch (t.type) {
    case 'function':
      return {
        type: 'function',
        name: names.add(t.name, 'function'),
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.parameters,
        strict: t.strict ?? false,
      };
    case 'custom':
      return {
        type: 'custom',
        name: names.add(t.name, 'custom'),
        ...(t.description !== undefined ? { description: t.description } : {}),
        ...(t.format ? { format: t.format } : {}),
      };
    case 'builtin':
      if (t.protocol === 'openai-responses') return t.raw;
      dropped.push(`tools.${t.name}`);
      return undefined;
  }
};

export const encodeResponsesRequest = (ir: IrRequest, opts: EncodeRequestOptions = {}): EncodedRequest => {
  const model = opts.model ?? ir.model;
  const profile = opts.profile ?? resolveModelProfile(model);
  const dropped: string[] = [];
  const names = new ToolNameMap('openai-responses');
  const tools = ir.tools.flatMap((t) => encodeTool(t, names, dropped) ?? []);

  const input: Obj[] = ir.system.map((s) => ({
    type: 'message',
    role: s.role,
    content: [{ type: 'input_text', text: s.text }],
  }));
  ir.messages.forEach((m, mi) => {
    const at = `messages[${mi}]`;
    if (m.role === 'user' || m.role === 'system' || m.role === 'developer') {
      const content = m.content.flatMap((p, pi) =>
        p.type === 'text' || p.type === 'image' || p.type === 'document'
          ? (inputPart(p, dropped, `${at}.content[${pi}]`) ?? [])
          : [],
      );
      if (content.length > 0) input.push({ type: 'message', role: m.role, content });
      return;
    }
    if (m.role === 'tool') {
      for (const p of m.content) {
        if (p.type !== 'tool_result') continue;
        const output =
          typeof p.content === 'string'
            ? p.content
            : p.content.flatMap((c, ci) => inputPart(c, dropped, `${at}.content[${ci}]`) ?? []);
        input.push({
          type: p.custom ? 'custom_tool_call_output' : 'function_call_output',
          call_id: p.callId,
          output,
        });
      }
      return;
    }
    // Assistant: consecutive text parts form one message item; calls and reasoning are items of their own.
    let text: Obj[] = [];
    const flushText = (): void => {
      if (text.length > 0) input.push({ type: 'message', role: 'assistant', content: text });
      text = [];
    };
    m.content.forEach((p: IrContentPart, pi) => {
      switch (p.type) {
        case 'text':
          if (p.text !== '')
            text.push(
              p.refusal
                ? { type: 'refusal', refusal: p.text }
                : { type: 'output_text', text: p.text, annotations: [] },
            );
          return;
        case 'thinking':
          flushText();
          // Only OpenAI's own encrypted reasoning can be replayed, and only by value (store is off): no `rs_` id.
          if (p.origin?.provider === 'openai' && p.signature !== undefined) {
            const summary = (p.summary ?? (p.text !== '' ? [p.text] : [])).map((t) => ({
              type: 'summary_text',
              text: t,
            }));
            input.push({ type: 'reasoning', summary, encrypted_content: p.signature });
          } else dropped.push(`${at}.content[${pi}].thinking`);
          return;
        case 'redacted_thinking':
          dropped.push(`${at}.content[${pi}].redacted_thinking`);
          return;
        case 'tool_call':
          flushText();
          // No `fc_` ids: replaying one without its reasoning item is rejected by OpenAI.
          input.push({
            type: 'function_call',
            call_id: p.id,
            name: names.toWire(p.name),
            arguments: p.arguments,
          });
          return;
        case 'custom_tool_call':
          flushText();
          input.push({ type: 'custom_tool_call', call_id: p.id, name: names.toWire(p.name), input: p.input });
          return;
        default:
          return;
      }
    });
    flushText();
  });

  const native = { ...(ir.extras.native['openai-responses'] ?? {}) };
  delete native.previous_response_id; // refers to the gateway's store, never to the upstream's
  const body: Obj = { ...native, model, input, stream: ir.stream, store: false };
  if (tools.length > 0) body.tools = tools;
  const tc = ir.toolChoice;
  if (tc) {
    switch (tc.type) {
      case 'auto':
      case 'none':
      case 'required':
        body.tool_choice = tc.type;
        break;
      case 'tool':
        body.tool_choice = { type: tc.custom ? 'custom' : 'function', name: names.toWire(tc.name) };
        break;
      case 'allowed':
        body.tool_choice = {
          type: 'allowed_tools',
          mode: tc.mode,
          tools: tc.names.map((n) => ({
            type: names.kindOf(n) === 'custom' ? 'custom' : 'function',
            name: names.toWire(n),
          })),
        };
        break;
    }
  }
  if (ir.parallelToolCalls !== undefined) body.parallel_tool_calls = ir.parallelToolCalls;
  if (ir.reasoning && profile.reasoning !== false) {
    const r = ir.reasoning;
    const effort =
      r.mode === 'disabled'
        ? 'none'
        : (r.effort ?? (r.budgetTokens !== undefined ? budgetToEffort(r.budgetTokens) : undefined));
    const reasoning: Obj = { ...(isObj(native.reasoning) ? native.reasoning : {}) };
    if (effort !== undefined) reasoning.effort = effort;
    if (r.summary !== undefined) reasoning.summary = r.summary;
    body.reasoning = reasoning;
    if (r.mode !== 'disabled')
      body.include = [
        ...new Set([
          ...(Array.isArray(native.include) ? (native.include as string[]) : []),
          'reasoning.encrypted_content',
        ]),
      ];
  } else if (ir.reasoning) dropped.push('reasoning');
  const text: Obj = {};
  if (ir.responseFormat) {
    const f = ir.responseFormat;
    text.format =
      f.type === 'json_schema'
        ? {
            type: 'json_schema',
            name: f.name ?? 'response',
            schema: f.schema,
            ...(f.strict !== undefined ? { strict: f.strict } : {}),
            ...(f.description !== undefined ? { description: f.description } : {}),
          }
        : { type: f.type };
  }
  if (ir.verbosity) text.verbosity = ir.verbosity;
  if (Object.keys(text).length > 0) body.text = text;
  if (ir.maxOutputTokens !== undefined) {
    const max = profile.maxOutputTokens;
    body.max_output_tokens = max !== undefined ? Math.min(ir.maxOutputTokens, max) : ir.maxOutputTokens;
  }
  if (profile.sampling !== false) {
    if (ir.sampling.temperature !== undefined) body.temperature = ir.sampling.temperature;
    if (ir.sampling.topP !== undefined) body.top_p = ir.sampling.topP;
  } else if (ir.sampling.temperature !== undefined || ir.sampling.topP !== undefined)
    dropped.push('temperature/top_p');
  for (const k of ['topK', 'frequencyPenalty', 'presencePenalty', 'seed'] as const)
    if (ir.sampling[k] !== undefined) dropped.push(k);
  if (ir.stopSequences?.length) dropped.push('stop');
  if (ir.metadata) body.metadata = ir.metadata;
  if (ir.user !== undefined) body.safety_identifier = ir.user;
  if (ir.promptCacheKey !== undefined) body.prompt_cache_key = ir.promptCacheKey;

  return {
    body: body as JsonObject,
    stream: ir.stream,
    dropped: [...ir.extras.dropped, ...dropped],
    tools: names,
  };
};
