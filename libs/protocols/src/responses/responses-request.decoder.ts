import type { IrExtras, IrOrigin, JsonObject } from '../ir/common';
import type {
  IrContentPart,
  IrCustomToolCallPart,
  IrImageSource,
  IrThinkingPart,
  IrToolCallPart,
  IrToolResultContent,
  IrToolResultPart,
} from '../ir/content';
import type {
  IrMessage,
  IrReasoning,
  IrRequest,
  IrResponseFormat,
  IrSystemBlock,
  IrTool,
  IrToolChoice,
} from '../ir/request';
import { isObj, parseDataUrl, type Obj } from '../common/json';
import { parseEffort } from '../mapping/reasoning';
import { ProtocolError } from '../errors/error-shapes';
import { openReasoning } from './reasoning-envelope';
import { ToolNamespaceMap } from './tool-namespaces';

/** Request fields the IR models; every other top-level field is kept in `extras.native['openai-responses']`. */
const MODELLED = [
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning',
  'text',
  'max_output_tokens',
  'temperature',
  'top_p',
  'metadata',
  'user',
  'safety_identifier',
  'prompt_cache_key',
  'stream',
] as const;

export interface ResponsesDecoded {
  ir: IrRequest;
  /** Flat tool names ↔ Responses names (namespaces); give it to the encoders of the answer. */
  toolNames: ToolNamespaceMap;
  /** `store` as the client sent it (OpenAI's default is true). */
  store: boolean;
  previousResponseId?: string;
}

// ------------------------------------------------------------------ validation helpers

const typeName = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(v) ? 'an integer' : 'a decimal';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
};

// Messages follow OpenAI's own wording, so clients that match on them (and people reading logs) see the familiar text.
const missing = (param: string): ProtocolError =>
  new ProtocolError({
    status: 400,
    kind: 'invalid_request',
    message: `Missing required parameter: '${param}'.`,
    param,
    code: 'missing_required_parameter',
  });

const wrongType = (param: string, expected: string, got: unknown): ProtocolError =>
  new ProtocolError({
    status: 400,
    kind: 'invalid_request',
    message: `Invalid type for '${param}': expected ${expected}, but got ${typeName(got)} instead.`,
    param,
    code: 'invalid_type',
  });

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

const invalidValue = (param: string, value: unknown, allowed: readonly string[]): ProtocolError =>
  new ProtocolError({
    status: 400,
    kind: 'invalid_request',
    message: `Invalid value: '${show(value)}'. Supported values are: ${allowed.map((a) => `'${a}'`).join(', ')}.`,
    param,
    code: 'invalid_value',
  });

const reqString = (o: Obj, key: string, param: string): string => {
  const v = o[key];
  if (v === undefined || v === null) throw missing(`${param}.${key}`);
  if (typeof v !== 'string') throw wrongType(`${param}.${key}`, 'a string', v);
  return v;
};

const optString = (o: Obj, key: string, param: string): string | undefined => {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw wrongType(`${param}.${key}`, 'a string', v);
  return v;
};

const optNumber = (o: Obj, key: string): number | undefined => {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw wrongType(key, 'a number', v);
  return v;
};

const optBool = (o: Obj, key: string): boolean | undefined => {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw wrongType(key, 'a boolean', v);
  return v;
};

const ROLES = ['user', 'assistant', 'system', 'developer'] as const;
type Role = (typeof ROLES)[number];

// ------------------------------------------------------------------ content

interface DecodeState {
  dropped: string[];
  names: ToolNamespaceMap;
}

const imageSource = (p: Obj, param: string, st: DecodeState): IrImageSource | undefined => {
  const url = typeof p.image_url === 'string' ? p.image_url : undefined;
  if (url !== undefined) {
    const data = parseDataUrl(url);
    return data ? { kind: 'base64', mediaType: data.mediaType, data: data.data } : { kind: 'url', url };
  }
  if (typeof p.file_id === 'string')
    return { kind: 'file', fileId: p.file_id, origin: { provider: 'openai' } };
  st.dropped.push(`${param}.type=input_image`);
  return undefined;
};

const fileSource = (p: Obj, param: string, st: DecodeState): IrImageSource | undefined => {
  if (typeof p.file_data === 'string') {
    const data = parseDataUrl(p.file_data);
    return data
      ? { kind: 'base64', mediaType: data.mediaType, data: data.data }
      : { kind: 'base64', mediaType: 'application/pdf', data: p.file_data };
  }
  if (typeof p.file_url === 'string') return { kind: 'url', url: p.file_url };
  if (typeof p.file_id === 'string')
    return { kind: 'file', fileId: p.file_id, origin: { provider: 'openai' } };
  st.dropped.push(`${param}.type=input_file`);
  return undefined;
};

const DETAILS = ['auto', 'low', 'high'] as const;

/** One content part of a message or tool output; `undefined` when it cannot be carried (reported). */
const decodePart = (raw: unknown, param: string, st: DecodeState): IrToolResultContent | undefined => {
  if (!isObj(raw)) throw wrongType(param, 'an object', raw);
  const type = raw.type;
  switch (type) {
    case 'input_text':
    case 'output_text':
    case 'text':
      return { type: 'text', text: reqString(raw, 'text', param) };
    case 'refusal':
      return { type: 'text', text: reqString(raw, 'refusal', param), refusal: true };
    case 'input_image': {
      const source = imageSource(raw, param, st);
      if (!source) return undefined;
      const detail = DETAILS.find((d) => d === raw.detail);
      return detail ? { type: 'image', source, detail } : { type: 'image', source };
    }
    case 'input_file': {
      const source = fileSource(raw, param, st);
      if (!source) return undefined;
      const filename = typeof raw.filename === 'string' ? raw.filename : undefined;
      return filename ? { type: 'document', source, filename } : { type: 'document', source };
    }
    default:
      if (typeof type !== 'string') throw missing(`${param}.type`);
      st.dropped.push(`${param}.type=${type}`);
      return undefined;
  }
};

const decodeContent = (raw: unknown, param: string, st: DecodeState): IrToolResultContent[] => {
  if (typeof raw === 'string') return raw === '' ? [] : [{ type: 'text', text: raw }];
  if (!Array.isArray(raw)) throw wrongType(param, 'a string or an array', raw);
  const out: IrToolResultContent[] = [];
  raw.forEach((p, i) => {
    const part = decodePart(p, `${param}[${i}]`, st);
    // Empty text carries nothing and Anthropic rejects empty text blocks (a client may echo an empty message).
    if (part && !(part.type === 'text' && part.text === '')) out.push(part);
  });
  return out;
};

const decodeToolOutput = (raw: unknown, param: string, st: DecodeState): string | IrToolResultContent[] => {
  if (typeof raw === 'string') return raw;
  if (raw === undefined || raw === null) throw missing(param);
  return decodeContent(raw, param, st);
};

// ------------------------------------------------------------------ tools

const decodeFunctionTool = (
  t: Obj,
  param: string,
  namespace: string | undefined,
  st: DecodeState,
): IrTool => {
  const name = reqString(t, 'name', param);
  const flat = st.names.flatten(namespace === undefined ? { name } : { name, namespace });
  const parameters: JsonObject = isObj(t.parameters)
    ? (t.parameters as JsonObject)
    : { type: 'object', properties: {} };
  return {
    type: 'function',
    name: flat,
    ...(typeof t.description === 'string' && t.description !== '' ? { description: t.description } : {}),
    parameters,
    ...(typeof t.strict === 'boolean' ? { strict: t.strict } : {}),
    ...(t.defer_loading === true ? { deferLoading: true } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
  };
};

const decodeCustomTool = (t: Obj, param: string, namespace: string | undefined, st: DecodeState): IrTool => {
  const name = reqString(t, 'name', param);
  const flat = st.names.flatten(namespace === undefined ? { name } : { name, namespace });
  const f = isObj(t.format) ? t.format : undefined;
  let format:
    { type: 'text' } | { type: 'grammar'; syntax: 'lark' | 'regex'; definition: string } | undefined;
  if (f?.type === 'text') format = { type: 'text' };
  else if (f?.type === 'grammar' && typeof f.definition === 'string')
    format = { type: 'grammar', syntax: f.syntax === 'regex' ? 'regex' : 'lark', definition: f.definition };
  return {
    type: 'custom',
    name: flat,
    ...(typeof t.description === 'string' && t.description !== '' ? { description: t.description } : {}),
    ...(format ? { format } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
  };
};

const decodeTools = (raw: unknown, param: string, st: DecodeState, out: IrTool[]): void => {
  if (raw === undefined || raw === null) return;
  if (!Array.isArray(raw)) throw wrongType(param, 'an array', raw);
  raw.forEach((t, i) => {
    const p = `${param}[${i}]`;
    if (!isObj(t)) throw wrongType(p, 'an object', t);
    const type = t.type;
    if (typeof type !== 'string') throw missing(`${p}.type`);
    if (type === 'function') out.push(decodeFunctionTool(t, p, undefined, st));
    else if (type === 'custom') out.push(decodeCustomTool(t, p, undefined, st));
    else if (type === 'namespace') {
      const ns = reqString(t, 'name', p);
      const inner = t.tools;
      if (!Array.isArray(inner)) throw wrongType(`${p}.tools`, 'an array', inner);
      inner.forEach((it, j) => {
        const q = `${p}.tools[${j}]`;
        if (!isObj(it)) throw wrongType(q, 'an object', it);
        if (it.type === 'function') out.push(decodeFunctionTool(it, q, ns, st));
        else if (it.type === 'custom') out.push(decodeCustomTool(it, q, ns, st));
        else st.dropped.push(`${q}.type=${show(it.type)}`);
      });
    } else {
      // Hosted tools (web_search, file_search, tool_search, mcp …) only mean something to OpenAI: kept for a
      // Responses upstream, dropped and reported by every other encoder.
      out.push({ type: 'builtin', protocol: 'openai-responses', name: type, raw: t as JsonObject });
    }
  });
};

const decodeToolChoice = (raw: unknown, st: DecodeState): IrToolChoice | undefined => {
  if (raw === undefined || raw === null) return undefined;
  if (raw === 'auto' || raw === 'none' || raw === 'required') return { type: raw };
  if (typeof raw === 'string') throw invalidValue('tool_choice', raw, ['none', 'auto', 'required']);
  if (!isObj(raw)) throw wrongType('tool_choice', 'a string or an object', raw);
  if (raw.type === 'function' || raw.type === 'custom') {
    const name = reqString(raw, 'name', 'tool_choice');
    const flat = st.names.flatten({ name });
    return raw.type === 'custom' ? { type: 'tool', name: flat, custom: true } : { type: 'tool', name: flat };
  }
  if (raw.type === 'allowed_tools') {
    const tools = Array.isArray(raw.tools) ? raw.tools : [];
    const names = tools.flatMap((t) =>
      isObj(t) && typeof t.name === 'string' ? [st.names.flatten({ name: t.name })] : [],
    );
    return { type: 'allowed', mode: raw.mode === 'required' ? 'required' : 'auto', names };
  }
  st.dropped.push(`tool_choice.type=${show(raw.type)}`);
  return undefined;
};

// ------------------------------------------------------------------ input items

/** Builds IR messages from input items, merging the items of one assistant turn and one batch of tool outputs. */
class MessageBuilder {
  readonly system: IrSystemBlock[] = [];
  readonly messages: IrMessage[] = [];
  /** True once a non-instruction item was seen: later system/developer messages stay in place. */
  private conversationStarted = false;
  private readonly callNames = new Map<string, string>();
  private readonly callSignatures = new Map<string, { signature: string; origin: IrOrigin }>();

  constructor(private readonly st: DecodeState) {}

  private last(): IrMessage | undefined {
    return this.messages[this.messages.length - 1];
  }

  private append(role: 'assistant' | 'tool', part: IrContentPart, id?: string): void {
    this.conversationStarted = true;
    const last = this.last();
    if (last?.role === role) last.content.push(part);
    else
      this.messages.push(
        id === undefined || role === 'tool' ? { role, content: [part] } : { role, content: [part], id },
      );
  }

  instruction(role: 'system' | 'developer', text: string): void {
    if (text === '') return;
    if (!this.conversationStarted) this.system.push({ role, text });
    else this.messages.push({ role, content: [{ type: 'text', text }] });
  }

  message(item: Obj, param: string): void {
    const role = item.role;
    if (role === undefined || role === null) throw missing(`${param}.role`);
    if (!ROLES.includes(role as Role)) throw invalidValue(`${param}.role`, role, ROLES);
    if (item.content === undefined || item.content === null) throw missing(`${param}.content`);
    const content = decodeContent(item.content, `${param}.content`, this.st);
    const id = typeof item.id === 'string' ? item.id : undefined;
    switch (role as Role) {
      case 'system':
      case 'developer': {
        const texts = content.flatMap((p) => (p.type === 'text' ? [p.text] : []));
        if (texts.length < content.length)
          this.st.dropped.push(`${param}.content (non-text ${role as string} parts)`);
        this.instruction(role as 'system' | 'developer', texts.join('\n\n'));
        return;
      }
      case 'user':
        this.conversationStarted = true;
        if (content.length === 0) return;
        this.messages.push(id === undefined ? { role: 'user', content } : { role: 'user', content, id });
        return;
      case 'assistant':
        for (const p of content) this.append('assistant', p, id);
        return;
    }
  }

  functionCall(item: Obj, param: string): void {
    const callId = reqString(item, 'call_id', param);
    const name = reqString(item, 'name', param);
    const args = reqString(item, 'arguments', param);
    const namespace = optString(item, 'namespace', param);
    const flat = this.st.names.flatten(namespace === undefined ? { name } : { name, namespace });
    this.callNames.set(callId, flat);
    const part: IrToolCallPart = { type: 'tool_call', id: callId, name: flat, arguments: args };
    if (typeof item.id === 'string') part.itemId = item.id;
    this.append('assistant', part);
  }

  customToolCall(item: Obj, param: string): void {
    const callId = reqString(item, 'call_id', param);
    const name = reqString(item, 'name', param);
    const input = reqString(item, 'input', param);
    const namespace = optString(item, 'namespace', param);
    const flat = this.st.names.flatten(namespace === undefined ? { name } : { name, namespace });
    this.callNames.set(callId, flat);
    const part: IrCustomToolCallPart = { type: 'custom_tool_call', id: callId, name: flat, input };
    if (typeof item.id === 'string') part.itemId = item.id;
    this.append('assistant', part);
  }

  toolOutput(item: Obj, param: string, custom: boolean): void {
    const callId = reqString(item, 'call_id', param);
    let output = item.output;
    let isError = false;
    // Older Codex releases reported failures as `{content, success: false}`: keep the text and the error flag.
    if (isObj(output) && typeof output.content === 'string') {
      isError = output.success === false;
      output = output.content;
    }
    const part: IrToolResultPart = {
      type: 'tool_result',
      callId,
      content: decodeToolOutput(output, `${param}.output`, this.st),
    };
    if (isError) part.isError = true;
    const name = this.callNames.get(callId);
    if (name !== undefined) part.name = name;
    if (custom) part.custom = true;
    if (typeof item.id === 'string') part.itemId = item.id;
    this.append('tool', part);
  }

  reasoning(item: Obj, param: string): void {
    const summary = Array.isArray(item.summary) ? item.summary : [];
    const texts = summary.flatMap((s) => (isObj(s) && typeof s.text === 'string' ? [s.text] : []));
    const content = Array.isArray(item.content) ? item.content : [];
    const contentTexts = content.flatMap((s) => (isObj(s) && typeof s.text === 'string' ? [s.text] : []));
    const encrypted = typeof item.encrypted_content === 'string' ? item.encrypted_content : undefined;
    const env = encrypted === undefined ? undefined : openReasoning(encrypted);
    const itemId = typeof item.id === 'string' ? item.id : undefined;

    if (env?.call) {
      // Carrier of a Gemini function-call thought signature (see reasoning-envelope.ts): not a thought itself.
      this.callSignatures.set(env.call.id, { signature: env.call.signature, origin: env.origin });
      this.conversationStarted = true;
      return;
    }
    if (env?.redacted !== undefined) {
      this.append('assistant', { type: 'redacted_thinking', data: env.redacted, origin: env.origin });
      return;
    }
    // Visible reasoning: the summary when there is one, else raw reasoning text (some servers send only that).
    const text = texts.length > 0 ? texts.join('\n\n') : contentTexts.join('\n\n');
    const signature = env ? env.signature : encrypted;
    if (text === '' && signature === undefined) {
      // An id-only reasoning item needs server-side storage, which a translated request does not have.
      this.st.dropped.push(`${param} (reasoning without content)`);
      this.conversationStarted = true;
      return;
    }
    const part: IrThinkingPart = { type: 'thinking', text };
    if (signature !== undefined) {
      part.signature = signature;
      part.origin = env ? env.origin : { provider: 'openai' };
    }
    if (itemId !== undefined) part.itemId = itemId;
    if (texts.length > 1) part.summary = texts;
    this.append('assistant', part);
  }

  /** Re-attaches Gemini thought signatures to the calls they belonged to. */
  finish(): void {
    if (this.callSignatures.size === 0) return;
    for (const m of this.messages) {
      for (const p of m.content) {
        if (p.type !== 'tool_call') continue;
        const sig = this.callSignatures.get(p.id);
        if (sig !== undefined) {
          p.signature = sig.signature;
          p.origin = sig.origin;
        }
      }
    }
  }
}

const decodeItems = (input: unknown, st: DecodeState, tools: IrTool[], b: MessageBuilder): void => {
  if (input === undefined || input === null) return;
  if (typeof input === 'string') {
    b.message({ role: 'user', content: input }, 'input');
    return;
  }
  if (!Array.isArray(input)) throw wrongType('input', 'a string or an array', input);
  input.forEach((item, i) => {
    const param = `input[${i}]`;
    if (!isObj(item)) throw wrongType(param, 'an object', item);
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message':
        b.message(item, param);
        return;
      case 'function_call':
        b.functionCall(item, param);
        return;
      case 'function_call_output':
        b.toolOutput(item, param, false);
        return;
      case 'custom_tool_call':
        b.customToolCall(item, param);
        return;
      case 'custom_tool_call_output':
        b.toolOutput(item, param, true);
        return;
      case 'reasoning':
        b.reasoning(item, param);
        return;
      case 'additional_tools':
        decodeTools(item.tools, `${param}.tools`, st, tools);
        return;
      case undefined:
        throw missing(`${param}.type`);
      default:
        // item_reference needs stored items; hosted-tool calls, MCP and compaction items have no portable form.
        st.dropped.push(`${param}.type=${show(type)}`);
        return;
    }
  });
};

const decodeReasoning = (raw: unknown, native: Record<string, unknown>): IrReasoning | undefined => {
  if (raw === undefined || raw === null) return undefined;
  if (!isObj(raw)) throw wrongType('reasoning', 'an object', raw);
  const effort = parseEffort(raw.effort);
  if (raw.effort !== undefined && raw.effort !== null && effort === undefined)
    throw invalidValue('reasoning.effort', raw.effort, [
      'none',
      'minimal',
      'low',
      'medium',
      'high',
      'xhigh',
      'max',
    ]);
  const summary =
    raw.summary === 'auto' || raw.summary === 'concise' || raw.summary === 'detailed'
      ? raw.summary
      : undefined;
  const rest = Object.fromEntries(Object.entries(raw).filter(([k]) => k !== 'effort' && k !== 'summary'));
  if (Object.keys(rest).length > 0) native.reasoning = rest; // e.g. Codex `context: "all_turns"`
  if (effort === undefined && summary === undefined) return undefined;
  const out: IrReasoning = { mode: effort === 'none' ? 'disabled' : 'adaptive' };
  if (effort !== undefined) out.effort = effort;
  if (summary !== undefined) out.summary = summary;
  return out;
};

const decodeText = (raw: unknown): { format?: IrResponseFormat; verbosity?: 'low' | 'medium' | 'high' } => {
  if (raw === undefined || raw === null) return {};
  if (!isObj(raw)) throw wrongType('text', 'an object', raw);
  const out: { format?: IrResponseFormat; verbosity?: 'low' | 'medium' | 'high' } = {};
  if (raw.verbosity === 'low' || raw.verbosity === 'medium' || raw.verbosity === 'high')
    out.verbosity = raw.verbosity;
  const f = raw.format;
  if (isObj(f)) {
    if (f.type === 'json_object') out.format = { type: 'json_object' };
    else if (f.type === 'text') out.format = { type: 'text' };
    else if (f.type === 'json_schema') {
      if (!isObj(f.schema)) throw missing('text.format.schema');
      out.format = {
        type: 'json_schema',
        schema: f.schema as JsonObject,
        ...(typeof f.name === 'string' ? { name: f.name } : {}),
        ...(typeof f.description === 'string' ? { description: f.description } : {}),
        ...(typeof f.strict === 'boolean' ? { strict: f.strict } : {}),
      };
    } else throw invalidValue('text.format.type', f.type, ['text', 'json_object', 'json_schema']);
  }
  return out;
};

/**
 * Responses request body → IR, statelessly over the full `input`. A request with `previous_response_id` must first
 * be expanded with `expandPreviousResponse` (the gateway's store holds the earlier items). Throws `ProtocolError`
 * (400, OpenAI wording, with `param`) for bodies that cannot be understood; everything else it cannot carry is
 * listed in `ir.extras.dropped`.
 */
export const decodeResponsesRequest = (
  body: unknown,
  ctx: { model?: string; stream?: boolean } = {},
): ResponsesDecoded => {
  if (!isObj(body)) throw wrongType('body', 'a JSON object', body);
  const model = ctx.model ?? body.model;
  if (model === undefined || model === null || model === '') throw missing('model');
  if (typeof model !== 'string') throw wrongType('model', 'a string', model);

  const st: DecodeState = { dropped: [], names: new ToolNamespaceMap() };
  const native: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body))
    if (!(MODELLED as readonly string[]).includes(k) && v !== undefined) native[k] = v;

  const tools: IrTool[] = [];
  decodeTools(body.tools, 'tools', st, tools);
  const b = new MessageBuilder(st);
  const instructions = optString(body, 'instructions', 'body');
  if (instructions !== undefined) b.instruction('system', instructions);
  decodeItems(body.input, st, tools, b);
  b.finish();

  const text = decodeText(body.text);
  const maxOutputTokens = optNumber(body, 'max_output_tokens');
  const temperature = optNumber(body, 'temperature');
  const topP = optNumber(body, 'top_p');
  const stream = ctx.stream ?? optBool(body, 'stream') ?? false;
  const parallel = optBool(body, 'parallel_tool_calls');
  const reasoning = decodeReasoning(body.reasoning, native);
  const toolChoice = decodeToolChoice(body.tool_choice, st);

  let metadata: Record<string, string> | undefined;
  if (isObj(body.metadata)) {
    metadata = {};
    for (const [k, v] of Object.entries(body.metadata)) if (typeof v === 'string') metadata[k] = v;
  }
  const user = optString(body, 'user', 'body') ?? optString(body, 'safety_identifier', 'body');
  const promptCacheKey = optString(body, 'prompt_cache_key', 'body');

  const extras: IrExtras = { native: { 'openai-responses': native }, dropped: st.dropped };
  const ir: IrRequest = {
    model,
    system: b.system,
    messages: b.messages,
    tools,
    sampling: {},
    stream,
    extras,
  };
  if (temperature !== undefined) ir.sampling.temperature = temperature;
  if (topP !== undefined) ir.sampling.topP = topP;
  if (toolChoice) ir.toolChoice = toolChoice;
  if (parallel !== undefined) ir.parallelToolCalls = parallel;
  if (maxOutputTokens !== undefined) ir.maxOutputTokens = maxOutputTokens;
  if (reasoning) ir.reasoning = reasoning;
  if (text.format) ir.responseFormat = text.format;
  if (text.verbosity) ir.verbosity = text.verbosity;
  if (metadata) ir.metadata = metadata;
  if (user !== undefined) ir.user = user;
  if (promptCacheKey !== undefined) ir.promptCacheKey = promptCacheKey;

  const store = typeof body.store === 'boolean' ? body.store : true;
  const prev = typeof body.previous_response_id === 'string' ? body.previous_response_id : undefined;
  const decoded: ResponsesDecoded = { ir, toolNames: st.names, store };
  if (prev !== undefined) decoded.previousResponseId = prev;
  return decoded;
};
