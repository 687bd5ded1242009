import type { DecodeRequestContext, EncodeRequestOptions, EncodedRequest } from '../ir/codec';
import { emptyExtras, type JsonObject } from '../ir/common';
import type {
  IrContentPart,
  IrDocumentPart,
  IrImagePart,
  IrTextPart,
  IrToolResultContent,
  IrToolResultPart,
} from '../ir/content';
import type {
  IrCustomToolFormat,
  IrMessage,
  IrRequest,
  IrResponseFormat,
  IrSystemBlock,
  IrTool,
  IrToolChoice,
} from '../ir/request';
import {
  arr,
  bool,
  compact,
  isObj,
  num,
  objOrEmpty,
  parseDataUrl,
  str,
  toDataUrl,
  toJsonObject,
  unknownFields,
  type Obj,
} from '../common/json';
import { resolveModelProfile } from '../common/model-profiles';
import { ToolNameMap } from '../common/tool-names';
import { toOpenAiToolId } from '../common/ids';
import { openCallId } from './chat-call-id-seal';
import { invalidRequest } from '../errors/error-shapes';
import { budgetToEffort, parseEffort, toOpenAiEffort } from '../mapping/reasoning';
import { cleanSchemaForOpenAi } from '../schema/json-schema-cleaner';
import { createHash } from 'node:crypto';

const KNOWN = [
  'model',
  'messages',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'temperature',
  'top_p',
  'top_k',
  'frequency_penalty',
  'presence_penalty',
  'seed',
  'stop',
  'max_tokens',
  'max_completion_tokens',
  'reasoning_effort',
  'response_format',
  'user',
  'safety_identifier',
  'metadata',
  'stream',
  'stream_options',
  'prompt_cache_key',
  'verbosity',
  'functions',
  'function_call',
];

const textOf = (content: unknown): string => {
  if (typeof content === 'string') return content;
  return arr(content)
    .filter(isObj)
    .map((p) => str(p.text) ?? str(p.refusal) ?? '')
    .join('');
};

const decodeUserPart = (p: Obj, dropped: string[], where: string): IrContentPart | undefined => {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: str(p.text) ?? '' };
    case 'image_url': {
      const iu = isObj(p.image_url) ? p.image_url : { url: p.image_url };
      const url = str(iu.url) ?? '';
      const data = parseDataUrl(url);
      const img: IrImagePart = {
        type: 'image',
        source: data ? { kind: 'base64', mediaType: data.mediaType, data: data.data } : { kind: 'url', url },
      };
      if (iu.detail === 'low' || iu.detail === 'high' || iu.detail === 'auto') img.detail = iu.detail;
      return img;
    }
    case 'file': {
      const f = objOrEmpty(p.file);
      const fileData = str(f.file_data);
      const filename = str(f.filename);
      let doc: IrDocumentPart | undefined;
      if (fileData !== undefined) {
        const parsed = parseDataUrl(fileData);
        doc = {
          type: 'document',
          source: parsed
            ? { kind: 'base64', mediaType: parsed.mediaType, data: parsed.data }
            : { kind: 'base64', mediaType: 'application/pdf', data: fileData },
        };
      } else if (str(f.file_id) !== undefined) {
        doc = {
          type: 'document',
          source: { kind: 'file', fileId: str(f.file_id) ?? '', origin: { provider: 'openai' } },
        };
      }
      if (doc && filename) doc.filename = filename;
      if (!doc) dropped.push(`${where}.file`);
      return doc;
    }
    default:
      dropped.push(`${where}.type=${String(p.type)}`);
      return undefined;
  }
};

const decodeParts = (content: unknown, dropped: string[], where: string): IrContentPart[] => {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const out: IrContentPart[] = [];
  arr(content).forEach((p, i) => {
    if (!isObj(p)) return;
    const part = decodeUserPart(p, dropped, `${where}[${i}]`);
    if (part) out.push(part);
  });
  return out;
};

export const decodeCustomFormat = (f: unknown): IrCustomToolFormat | undefined => {
  if (!isObj(f)) return undefined;
  if (f.type === 'text') return { type: 'text' };
  if (f.type === 'grammar') {
    // Chat nests the grammar (`format.grammar.{syntax,definition}`); Responses flattens it.
    const g = isObj(f.grammar) ? f.grammar : f;
    const syntax = g.syntax === 'regex' ? 'regex' : 'lark';
    return { type: 'grammar', syntax, definition: str(g.definition) ?? '' };
  }
  return undefined;
};

export const decodeOpenAiResponseFormat = (rf: unknown): IrResponseFormat | undefined => {
  if (!isObj(rf)) return undefined;
  if (rf.type === 'text') return { type: 'text' };
  if (rf.type === 'json_object') return { type: 'json_object' };
  if (rf.type === 'json_schema') {
    const js = isObj(rf.json_schema) ? rf.json_schema : rf;
    const out: IrResponseFormat = { type: 'json_schema', schema: toJsonObject(js.schema) };
    const name = str(js.name);
    if (name) out.name = name;
    const description = str(js.description);
    if (description) out.description = description;
    const strict = bool(js.strict);
    if (strict !== undefined) out.strict = strict;
    return out;
  }
  return undefined;
};

export const decodeOpenAiToolChoice = (tc: unknown): IrToolChoice | undefined => {
  if (tc === 'auto') return { type: 'auto' };
  if (tc === 'none') return { type: 'none' };
  if (tc === 'required') return { type: 'required' };
  if (!isObj(tc)) return undefined;
  if (tc.type === 'function')
    return { type: 'tool', name: str(objOrEmpty(tc.function).name) ?? str(tc.name) ?? '' };
  if (tc.type === 'custom')
    return { type: 'tool', name: str(objOrEmpty(tc.custom).name) ?? str(tc.name) ?? '', custom: true };
  if (tc.type === 'allowed_tools') {
    const at = isObj(tc.allowed_tools) ? tc.allowed_tools : tc;
    const names = arr(at.tools)
      .filter(isObj)
      .map((t) => str(objOrEmpty(t.function).name) ?? str(objOrEmpty(t.custom).name) ?? str(t.name) ?? '')
      .filter((n) => n !== '');
    return { type: 'allowed', mode: at.mode === 'required' ? 'required' : 'auto', names };
  }
  return undefined;
};

export const decodeOpenAiChatRequest = (body: unknown, _ctx?: DecodeRequestContext): IrRequest => {
  if (!isObj(body)) throw invalidRequest('request body must be a JSON object');
  const model = str(body.model);
  if (!model) throw invalidRequest('you must provide a model parameter', 'model');
  if (!Array.isArray(body.messages)) throw invalidRequest("'messages' is a required property", 'messages');
  const extras = emptyExtras();
  const dropped = extras.dropped;
  const native = unknownFields(body, KNOWN);
  if (Object.keys(native).length > 0) extras.native['openai-chat'] = native;

  const system: IrSystemBlock[] = [];
  const messages: IrMessage[] = [];
  let leading = true;
  body.messages.forEach((m, mi) => {
    if (!isObj(m)) return;
    const where = `messages[${mi}]`;
    const role = m.role;
    if (role === 'system' || role === 'developer') {
      const text = textOf(m.content);
      if (leading) system.push({ role, text });
      else messages.push({ role, content: [{ type: 'text', text }] });
      return;
    }
    leading = false;
    if (role === 'user') {
      const msg: IrMessage = { role: 'user', content: decodeParts(m.content, dropped, `${where}.content`) };
      const name = str(m.name);
      if (name) msg.name = name;
      messages.push(msg);
    } else if (role === 'assistant') {
      const content: IrContentPart[] = [];
      // Non-standard reasoning fields of OpenAI-compatible servers (DeepSeek, vLLM, OpenRouter).
      const reasoning = str(m.reasoning_content) ?? str(m.reasoning);
      if (reasoning) content.push({ type: 'thinking', text: reasoning });
      const text = m.content === null || m.content === undefined ? '' : textOf(m.content);
      if (text !== '') content.push({ type: 'text', text });
      const refusal = str(m.refusal);
      if (refusal) content.push({ type: 'text', text: refusal, refusal: true });
      for (const tc of arr(m.tool_calls)) {
        if (!isObj(tc)) continue;
        if (tc.type === 'custom') {
          const c = objOrEmpty(tc.custom);
          content.push({
            type: 'custom_tool_call',
            id: str(tc.id) ?? '',
            name: str(c.name) ?? '',
            input: str(c.input) ?? '',
          });
        } else {
          const f = objOrEmpty(tc.function);
          const { id, signature, origin } = openCallId(str(tc.id) ?? '');
          content.push({
            type: 'tool_call',
            id,
            name: str(f.name) ?? '',
            arguments: str(f.arguments) ?? '{}',
            ...(signature ? { signature } : {}),
            ...(origin ? { origin } : {}),
          });
        }
      }
      if (isObj(m.function_call)) {
        const f = m.function_call;
        const name = str(f.name) ?? '';
        content.push({ type: 'tool_call', id: `call_${name}`, name, arguments: str(f.arguments) ?? '{}' });
      }
      messages.push({ role: 'assistant', content });
    } else if (role === 'tool' || role === 'function') {
      const callId = role === 'tool' ? openCallId(str(m.tool_call_id) ?? '').id : `call_${str(m.name) ?? ''}`;
      const content: string | IrToolResultContent[] =
        typeof m.content === 'string'
          ? m.content
          : decodeParts(m.content, dropped, `${where}.content`).filter(
              (p) => p.type === 'text' || p.type === 'image' || p.type === 'document',
            );
      const result: IrToolResultPart = { type: 'tool_result', callId, content };
      const name = str(m.name);
      if (name) result.name = name;
      const last = messages[messages.length - 1];
      if (last?.role === 'tool') last.content.push(result);
      else messages.push({ role: 'tool', content: [result] });
    } else {
      dropped.push(`${where}.role=${String(role)}`);
    }
  });

  const tools: IrTool[] = [];
  for (const t of arr(body.tools)) {
    if (!isObj(t)) continue;
    if (t.type === 'function') {
      const f = objOrEmpty(t.function);
      const tool: IrTool = {
        type: 'function',
        name: str(f.name) ?? '',
        parameters: toJsonObject(f.parameters ?? {}),
      };
      const d = str(f.description);
      if (d !== undefined) tool.description = d;
      const strict = bool(f.strict);
      if (strict !== undefined) tool.strict = strict;
      tools.push(tool);
    } else if (t.type === 'custom') {
      const c = objOrEmpty(t.custom);
      const tool: IrTool = { type: 'custom', name: str(c.name) ?? '' };
      const d = str(c.description);
      if (d !== undefined) tool.description = d;
      const format = decodeCustomFormat(c.format);
      if (format) tool.format = format;
      tools.push(tool);
    } else {
      tools.push({
        type: 'builtin',
        protocol: 'openai-chat',
        name: str(t.type) ?? 'unknown',
        raw: toJsonObject(t),
      });
    }
  }
  // Deprecated `functions` list.
  for (const f of arr(body.functions)) {
    if (!isObj(f)) continue;
    tools.push({
      type: 'function',
      name: str(f.name) ?? '',
      parameters: toJsonObject(f.parameters ?? {}),
      ...(str(f.description) ? { description: str(f.description) } : {}),
    });
  }

  const ir: IrRequest = {
    model,
    system,
    messages,
    tools,
    sampling: compact({
      temperature: num(body.temperature),
      topP: num(body.top_p),
      topK: num(body.top_k),
      frequencyPenalty: num(body.frequency_penalty),
      presencePenalty: num(body.presence_penalty),
      seed: num(body.seed),
    }),
    stream: body.stream === true,
    extras,
  };
  const toolChoice = decodeOpenAiToolChoice(body.tool_choice);
  if (toolChoice) ir.toolChoice = toolChoice;
  const parallel = bool(body.parallel_tool_calls);
  if (parallel !== undefined) ir.parallelToolCalls = parallel;
  const stop =
    typeof body.stop === 'string'
      ? [body.stop]
      : arr(body.stop).filter((s): s is string => typeof s === 'string');
  if (stop.length > 0) ir.stopSequences = stop;
  const max = num(body.max_completion_tokens) ?? num(body.max_tokens);
  if (max !== undefined) ir.maxOutputTokens = max;
  const effort = parseEffort(body.reasoning_effort);
  if (effort) ir.reasoning = effort === 'none' ? { mode: 'disabled', effort } : { mode: 'enabled', effort };
  const rf = decodeOpenAiResponseFormat(body.response_format);
  if (rf) ir.responseFormat = rf;
  const user = str(body.safety_identifier) ?? str(body.user);
  if (user) ir.user = user;
  if (isObj(body.metadata)) {
    ir.metadata = Object.fromEntries(
      Object.entries(body.metadata).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  }
  const pck = str(body.prompt_cache_key);
  if (pck) ir.promptCacheKey = pck;
  if (body.verbosity === 'low' || body.verbosity === 'medium' || body.verbosity === 'high')
    ir.verbosity = body.verbosity;
  if (ir.stream && objOrEmpty(body.stream_options).include_usage === true) ir.includeUsage = true;
  return ir;
};

// ------------------------------------------------------------------------------------------------------------
// Encoding IR → OpenAI Chat Completions

const encodeImageUrl = (p: IrImagePart | IrDocumentPart): string | undefined => {
  const s = p.source;
  if (s.kind === 'url') return s.url;
  if (s.kind === 'base64') return toDataUrl(s.mediaType, s.data);
  return undefined;
};

const encodeUserPart = (p: IrContentPart, dropped: string[], where: string): Obj | undefined => {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text };
    case 'image': {
      const url = encodeImageUrl(p);
      if (url === undefined) {
        dropped.push(`${where}.image`);
        return undefined;
      }
      return { type: 'image_url', image_url: compact({ url, detail: p.detail }) };
    }
    case 'document': {
      const s = p.source;
      if (s.kind === 'base64') {
        return {
          type: 'file',
          file: compact({
            file_data: toDataUrl(s.mediaType, s.data),
            filename: p.filename ?? p.title ?? 'document.pdf',
          }),
        };
      }
      if (s.kind === 'file' && s.origin?.provider === 'openai')
        return { type: 'file', file: { file_id: s.fileId } };
      if (s.kind === 'text') return { type: 'text', text: s.text };
      dropped.push(`${where}.document`);
      return undefined;
    }
    default:
      return undefined;
  }
};

/** A user-ish content list: a plain string when it is only text (the most compatible form). */
const encodeUserContent = (parts: IrContentPart[], dropped: string[], where: string): string | Obj[] => {
  const out = parts
    .map((p, i) => encodeUserPart(p, dropped, `${where}[${i}]`))
    .filter((p): p is Obj => p !== undefined);
  if (out.every((p) => p.type === 'text')) return out.map((p) => String(p.text)).join('\n');
  return out;
};

/** Claude Code puts a JSON string in `metadata.user_id`; OpenAI limits `user` to 64 characters. */
export const compactUserId = (user: string): string => {
  if (user.length <= 64) return user;
  try {
    const parsed = JSON.parse(user) as unknown;
    if (isObj(parsed)) {
      const id = str(parsed.account_uuid) || str(parsed.device_id) || str(parsed.session_id);
      if (id && id.length <= 64) return id;
    }
  } catch {
    // not JSON: hash below
  }
  return `u_${createHash('sha256').update(user).digest('hex').slice(0, 40)}`;
};

export const encodeOpenAiChatRequest = (ir: IrRequest, opts: EncodeRequestOptions = {}): EncodedRequest => {
  const model = opts.model ?? ir.model;
  const profile = opts.profile ?? resolveModelProfile(model);
  const dropped: string[] = [...ir.extras.dropped];
  const toolMap = new ToolNameMap('openai-chat');
  const body: Obj = { model };

  const tools: Obj[] = [];
  for (const t of ir.tools) {
    if (t.type === 'function') {
      if (t.deferLoading) dropped.push(`tools.${t.name}.defer_loading`);
      tools.push({
        type: 'function',
        function: compact({
          name: toolMap.add(t.name, 'function'),
          description: t.description,
          parameters: cleanSchemaForOpenAi(t.parameters),
          strict: t.strict,
        }),
      });
    } else if (t.type === 'custom') {
      const format =
        t.format?.type === 'grammar'
          ? { type: 'grammar', grammar: { syntax: t.format.syntax, definition: t.format.definition } }
          : t.format;
      tools.push({
        type: 'custom',
        custom: compact({ name: toolMap.add(t.name, 'custom'), description: t.description, format }),
      });
    } else if (t.protocol === 'openai-chat') tools.push(t.raw);
    else dropped.push(`tools.${t.name}`);
  }

  const messages: Obj[] = [];
  // Consecutive leading blocks of one role become one message (Claude Code sends four system blocks).
  const roleOf = (r: 'system' | 'developer'): 'system' | 'developer' =>
    r === 'developer' && profile.developerRole === true ? 'developer' : 'system';
  for (const s of ir.system) {
    const last = messages[messages.length - 1];
    const role = roleOf(s.role);
    if (last && last.role === role) last.content = `${String(last.content)}\n\n${s.text}`;
    else messages.push({ role, content: s.text });
  }

  ir.messages.forEach((m, mi) => {
    const where = `messages[${mi}]`;
    switch (m.role) {
      case 'system':
      case 'developer':
        messages.push({
          role: roleOf(m.role),
          content: m.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n'),
        });
        break;
      case 'user': {
        const content = encodeUserContent(m.content, dropped, `${where}.content`);
        if (content === '' || (Array.isArray(content) && content.length === 0)) break;
        messages.push(compact({ role: 'user', content, name: m.name }));
        break;
      }
      case 'assistant': {
        const text = m.content
          .filter((p): p is IrTextPart => p.type === 'text')
          .map((p) => p.text)
          .join('');
        const toolCalls: Obj[] = [];
        for (const p of m.content) {
          if (p.type === 'tool_call') {
            toolCalls.push({
              id: toOpenAiToolId(p.id),
              type: 'function',
              function: { name: toolMap.toWire(p.name), arguments: p.arguments === '' ? '{}' : p.arguments },
            });
          } else if (p.type === 'custom_tool_call') {
            toolCalls.push({
              id: toOpenAiToolId(p.id),
              type: 'custom',
              custom: { name: toolMap.toWire(p.name), input: p.input },
            });
          }
        }
        if (text === '' && toolCalls.length === 0) break;
        const msg: Obj = { role: 'assistant', content: text === '' ? null : text };
        if (toolCalls.length > 0) msg.tool_calls = toolCalls;
        messages.push(msg);
        break;
      }
      case 'tool': {
        // Images in tool results cannot travel in `tool` messages: they follow in one user message.
        const images: Obj[] = [];
        for (const p of m.content) {
          if (p.type !== 'tool_result') continue;
          let text: string;
          if (typeof p.content === 'string') text = p.content;
          else {
            text = p.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('\n');
            for (const c of p.content) {
              if (c.type === 'text') continue;
              const enc = encodeUserPart(c, dropped, `${where}.tool_result`);
              if (enc) images.push(enc);
            }
          }
          // Chat has no error flag; say it in the content so the model still knows.
          if (p.isError === true) text = `Error: ${text}`;
          messages.push({ role: 'tool', tool_call_id: toOpenAiToolId(p.callId), content: text });
        }
        if (images.length > 0)
          messages.push({
            role: 'user',
            content: [{ type: 'text', text: 'Tool result attachments:' }, ...images],
          });
        break;
      }
    }
  });
  body.messages = messages;

  if (tools.length > 0) {
    body.tools = tools;
    const tc = ir.toolChoice;
    if (tc) {
      switch (tc.type) {
        case 'auto':
        case 'none':
        case 'required':
          body.tool_choice = tc.type;
          break;
        case 'tool':
          body.tool_choice =
            toolMap.kindOf(tc.name) === 'custom' || tc.custom
              ? { type: 'custom', custom: { name: toolMap.toWire(tc.name) } }
              : { type: 'function', function: { name: toolMap.toWire(tc.name) } };
          break;
        case 'allowed':
          body.tool_choice = {
            type: 'allowed_tools',
            allowed_tools: {
              mode: tc.mode,
              tools: tc.names.map((n) => ({ type: 'function', function: { name: toolMap.toWire(n) } })),
            },
          };
          break;
      }
    }
    if (ir.parallelToolCalls !== undefined) body.parallel_tool_calls = ir.parallelToolCalls;
  } else if (ir.toolChoice && ir.toolChoice.type !== 'auto' && ir.toolChoice.type !== 'none')
    dropped.push('tool_choice');

  const s = ir.sampling;
  if (profile.sampling === false) {
    for (const [k, v] of Object.entries({ temperature: s.temperature, top_p: s.topP }))
      if (v !== undefined) dropped.push(k);
  } else {
    if (s.temperature !== undefined) body.temperature = s.temperature;
    if (s.topP !== undefined) body.top_p = s.topP;
  }
  if (s.topK !== undefined) dropped.push('top_k');
  if (s.frequencyPenalty !== undefined) body.frequency_penalty = s.frequencyPenalty;
  if (s.presencePenalty !== undefined) body.presence_penalty = s.presencePenalty;
  if (s.seed !== undefined) body.seed = s.seed;
  if (ir.stopSequences && ir.stopSequences.length > 0) {
    if (ir.stopSequences.length > 4) dropped.push('stop (over 4)');
    body.stop = ir.stopSequences.slice(0, 4);
  }

  if (ir.maxOutputTokens !== undefined) {
    let max = ir.maxOutputTokens;
    if (profile.maxOutputTokens !== undefined && max > profile.maxOutputTokens) {
      dropped.push(`max_tokens (clamped ${max} to ${profile.maxOutputTokens})`);
      max = profile.maxOutputTokens;
    }
    body[profile.maxTokensField ?? 'max_tokens'] = max;
  } else if (profile.defaultMaxOutputTokens !== undefined) {
    body[profile.maxTokensField ?? 'max_tokens'] = profile.defaultMaxOutputTokens;
  }

  const r = ir.reasoning;
  if (r) {
    const effort =
      r.mode === 'disabled'
        ? 'none'
        : (r.effort ?? (r.budgetTokens !== undefined ? budgetToEffort(r.budgetTokens) : undefined));
    // Only models known to reason get `reasoning_effort`: OpenAI-compatible servers (Groq, vLLM …) answer 400
    // to it on models that do not.
    if (profile.reasoning !== true) {
      if (r.mode !== 'disabled') dropped.push('reasoning');
    } else if (effort !== undefined && !(r.mode === 'disabled' && r.effort === undefined)) {
      body.reasoning_effort = toOpenAiEffort(effort);
    }
  }

  const rf = ir.responseFormat;
  if (rf) {
    body.response_format =
      rf.type === 'json_schema'
        ? {
            type: 'json_schema',
            json_schema: compact({
              name: rf.name ?? 'response',
              description: rf.description,
              schema: rf.schema,
              strict: rf.strict,
            }),
          }
        : { type: rf.type };
  }
  if (ir.user) body.user = compactUserId(ir.user);
  // OpenAI-only fields: strict OpenAI-compatible servers reject what they do not know.
  const openAi = profile.openAiExtensions === true;
  const stored = ir.extras.native['openai-chat']?.store === true;
  if (ir.metadata) {
    // OpenAI accepts `metadata` only on stored completions.
    if (openAi && stored) body.metadata = ir.metadata;
    else dropped.push('metadata');
  }
  if (ir.promptCacheKey) {
    if (openAi) body.prompt_cache_key = ir.promptCacheKey;
    else dropped.push('prompt_cache_key');
  }
  if (ir.verbosity) {
    if (openAi && profile.reasoning === true) body.verbosity = ir.verbosity;
    else dropped.push('verbosity');
  }
  if (ir.stream) {
    body.stream = true;
    // Always ask for usage: the gateway meters every stream; the client sees the usage chunk only if it asked.
    body.stream_options = { include_usage: true };
  }

  for (const [k, v] of Object.entries(ir.extras.native['openai-chat'] ?? {})) if (!(k in body)) body[k] = v;
  for (const [p, fields] of Object.entries(ir.extras.native)) {
    if (p !== 'openai-chat') for (const k of Object.keys(fields ?? {})) dropped.push(k);
  }
  return { body: body as JsonObject, stream: ir.stream, dropped, tools: toolMap };
};
