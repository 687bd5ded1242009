import type { DecodeRequestContext, EncodeRequestOptions, EncodedRequest } from '../ir/codec';
import { emptyExtras, type IrCacheControl, type IrOrigin, type JsonObject } from '../ir/common';
import type {
  IrContentPart,
  IrDocumentPart,
  IrImagePart,
  IrImageSource,
  IrTextPart,
  IrToolResultContent,
  IrToolResultPart,
} from '../ir/content';
import type {
  IrCustomTool,
  IrMessage,
  IrReasoning,
  IrRequest,
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
  parseArguments,
  str,
  stringifyArguments,
  toJsonObject,
  unknownFields,
  type Obj,
} from '../common/json';
import { ANTHROPIC_FALLBACK_MAX_TOKENS, resolveModelProfile } from '../common/model-profiles';
import { ToolNameMap } from '../common/tool-names';
import { toAnthropicToolId } from '../common/ids';
import { wrapMidConversationSystem } from '../common/system-text';
import { invalidRequest } from '../errors/error-shapes';
import { EFFORT_TO_BUDGET, budgetToEffort, parseEffort, toAnthropicEffort } from '../mapping/reasoning';
import { cleanSchemaForAnthropic } from '../schema/json-schema-cleaner';
import { openReasoning } from '../responses/reasoning-envelope';

const KNOWN = [
  'model',
  'max_tokens',
  'system',
  'messages',
  'tools',
  'tool_choice',
  'thinking',
  'output_config',
  'metadata',
  'stop_sequences',
  'temperature',
  'top_p',
  'top_k',
  'stream',
];

const cacheControlOf = (b: Obj): IrCacheControl | undefined => {
  const cc = b.cache_control;
  if (!isObj(cc)) return undefined;
  const ttl = cc.ttl === '5m' || cc.ttl === '1h' ? cc.ttl : undefined;
  return ttl ? { type: 'ephemeral', ttl } : { type: 'ephemeral' };
};

const withCache = <T extends object>(part: T, cc: IrCacheControl | undefined): T =>
  cc ? { ...part, cacheControl: cc } : part;

const decodeSource = (src: Obj): IrImageSource | { kind: 'text'; text: string } | undefined => {
  switch (src.type) {
    case 'base64':
      return {
        kind: 'base64',
        mediaType: str(src.media_type) ?? 'application/octet-stream',
        data: str(src.data) ?? '',
      };
    case 'url':
      return { kind: 'url', url: str(src.url) ?? '' };
    case 'file':
      return { kind: 'file', fileId: str(src.file_id) ?? '', origin: { provider: 'anthropic' } };
    case 'text':
      return { kind: 'text', text: str(src.data) ?? '' };
    default:
      return undefined;
  }
};

const decodeMediaBlock = (
  b: Obj,
  dropped: string[],
  where: string,
): IrImagePart | IrDocumentPart | undefined => {
  const src = decodeSource(objOrEmpty(b.source));
  if (!src) {
    dropped.push(`${where}.source`);
    return undefined;
  }
  const cc = cacheControlOf(b);
  if (b.type === 'image' && src.kind !== 'text')
    return withCache<IrImagePart>({ type: 'image', source: src }, cc);
  const doc: IrDocumentPart = { type: 'document', source: src };
  const title = str(b.title);
  if (title) doc.title = title;
  return withCache(doc, cc);
};

const decodeToolResultContent = (
  c: unknown,
  dropped: string[],
  where: string,
): string | IrToolResultContent[] => {
  if (typeof c === 'string') return c;
  const out: IrToolResultContent[] = [];
  arr(c).forEach((b, i) => {
    if (!isObj(b)) return;
    if (b.type === 'text')
      out.push(withCache<IrTextPart>({ type: 'text', text: str(b.text) ?? '' }, cacheControlOf(b)));
    else if (b.type === 'image' || b.type === 'document') {
      const m = decodeMediaBlock(b, dropped, `${where}[${i}]`);
      if (m) out.push(m);
    } else {
      // search_result and the like: keep the information as text rather than lose it.
      dropped.push(`${where}[${i}].type=${String(b.type)}`);
      out.push({ type: 'text', text: JSON.stringify(b) });
    }
  });
  return out;
};

const decodeSystem = (system: unknown): IrSystemBlock[] => {
  if (typeof system === 'string') return system === '' ? [] : [{ role: 'system', text: system }];
  return arr(system)
    .filter(isObj)
    .filter((b) => b.type === 'text')
    .map((b) => withCache<IrSystemBlock>({ role: 'system', text: str(b.text) ?? '' }, cacheControlOf(b)));
};

export const decodeAnthropicRequest = (body: unknown, _ctx?: DecodeRequestContext): IrRequest => {
  if (!isObj(body)) throw invalidRequest('request body must be a JSON object');
  const model = str(body.model);
  if (!model) throw invalidRequest('model: field required', 'model');
  if (!Array.isArray(body.messages)) throw invalidRequest('messages: field required', 'messages');
  const extras = emptyExtras();
  const dropped = extras.dropped;
  const native = unknownFields(body, KNOWN);
  if (Object.keys(native).length > 0) extras.native.anthropic = native;

  const messages: IrMessage[] = [];
  body.messages.forEach((m, mi) => {
    if (!isObj(m)) return;
    const role = m.role;
    const where = `messages[${mi}]`;
    const blocks: unknown[] =
      typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : arr(m.content);
    if (role === 'system') {
      const parts: IrContentPart[] = blocks
        .filter(isObj)
        .filter((b) => b.type === 'text')
        .map((b) => withCache<IrTextPart>({ type: 'text', text: str(b.text) ?? '' }, cacheControlOf(b)));
      messages.push({ role: 'system', content: parts });
      return;
    }
    if (role === 'assistant') {
      const parts: IrContentPart[] = [];
      const callSignatures = new Map<string, { signature: string; origin: IrOrigin }>();
      blocks.forEach((b, bi) => {
        if (!isObj(b)) return;
        switch (b.type) {
          case 'text':
            parts.push(withCache<IrTextPart>({ type: 'text', text: str(b.text) ?? '' }, cacheControlOf(b)));
            break;
          case 'thinking': {
            const sig = str(b.signature);
            // A signature the gateway sealed earlier carries another provider's artefact (see foreign-signature.ts).
            const env = sig === undefined ? undefined : openReasoning(sig);
            if (env?.call) {
              callSignatures.set(env.call.id, { signature: env.call.signature, origin: env.origin });
              break;
            }
            if (env?.redacted !== undefined) {
              parts.push({ type: 'redacted_thinking', data: env.redacted, origin: env.origin });
              break;
            }
            const signature = env ? env.signature : sig;
            parts.push({
              type: 'thinking',
              text: str(b.thinking) ?? '',
              ...(signature ? { signature } : {}),
              origin: env ? env.origin : { provider: 'anthropic', model },
            });
            break;
          }
          case 'redacted_thinking':
            parts.push({
              type: 'redacted_thinking',
              data: str(b.data) ?? '',
              origin: { provider: 'anthropic', model },
            });
            break;
          case 'tool_use': {
            const id = str(b.id) ?? '';
            const sealed = callSignatures.get(id);
            parts.push({
              type: 'tool_call',
              id,
              name: str(b.name) ?? '',
              arguments: stringifyArguments(b.input),
              origin: sealed ? sealed.origin : { provider: 'anthropic' },
              ...(sealed ? { signature: sealed.signature } : {}),
            });
            break;
          }
          default:
            dropped.push(`${where}.content[${bi}].type=${String(b.type)}`);
        }
      });
      messages.push({ role: 'assistant', content: parts });
      return;
    }
    // user: tool results first (as a tool message), the rest after (as a user message).
    const results: IrToolResultPart[] = [];
    const rest: IrContentPart[] = [];
    blocks.forEach((b, bi) => {
      if (!isObj(b)) return;
      const w = `${where}.content[${bi}]`;
      switch (b.type) {
        case 'tool_result': {
          const r: IrToolResultPart = {
            type: 'tool_result',
            callId: str(b.tool_use_id) ?? '',
            content: decodeToolResultContent(b.content ?? '', dropped, `${w}.content`),
          };
          if (b.is_error === true) r.isError = true;
          results.push(withCache(r, cacheControlOf(b)));
          break;
        }
        case 'text':
          rest.push(withCache<IrTextPart>({ type: 'text', text: str(b.text) ?? '' }, cacheControlOf(b)));
          break;
        case 'image':
        case 'document': {
          const p = decodeMediaBlock(b, dropped, w);
          if (p) rest.push(p);
          break;
        }
        default:
          dropped.push(`${w}.type=${String(b.type)}`);
      }
    });
    if (results.length > 0) messages.push({ role: 'tool', content: results });
    if (rest.length > 0 || results.length === 0) messages.push({ role: 'user', content: rest });
  });

  const tools: IrTool[] = arr(body.tools)
    .filter(isObj)
    .map((t): IrTool => {
      const type = str(t.type);
      if (type !== undefined && type !== 'custom') {
        return { type: 'builtin', protocol: 'anthropic', name: str(t.name) ?? type, raw: toJsonObject(t) };
      }
      const tool: IrTool = {
        type: 'function',
        name: str(t.name) ?? '',
        parameters: toJsonObject(t.input_schema),
      };
      const description = str(t.description);
      if (description !== undefined) tool.description = description;
      if (t.defer_loading === true) tool.deferLoading = true;
      const strict = bool(t.strict);
      if (strict !== undefined) tool.strict = strict;
      return withCache(tool, cacheControlOf(t));
    });

  let toolChoice: IrToolChoice | undefined;
  let parallelToolCalls: boolean | undefined;
  if (isObj(body.tool_choice)) {
    const tc = body.tool_choice;
    if (tc.type === 'auto') toolChoice = { type: 'auto' };
    else if (tc.type === 'any') toolChoice = { type: 'required' };
    else if (tc.type === 'none') toolChoice = { type: 'none' };
    else if (tc.type === 'tool') toolChoice = { type: 'tool', name: str(tc.name) ?? '' };
    if (tc.disable_parallel_tool_use === true) parallelToolCalls = false;
  }

  const outputConfig = objOrEmpty(body.output_config);
  const effort = parseEffort(outputConfig.effort);
  let reasoning: IrReasoning | undefined;
  if (isObj(body.thinking)) {
    const th = body.thinking;
    const display = th.display === 'omitted' || th.display === 'summarized' ? th.display : undefined;
    if (th.type === 'enabled') {
      reasoning = {
        mode: 'enabled',
        ...(num(th.budget_tokens) !== undefined ? { budgetTokens: num(th.budget_tokens) } : {}),
      };
      if (effort) reasoning.effort = effort;
    } else if (th.type === 'adaptive') {
      reasoning = { mode: 'adaptive', ...(effort ? { effort } : {}) };
    } else if (th.type === 'disabled') reasoning = { mode: 'disabled' };
    if (reasoning && display) reasoning.display = display;
  } else if (effort) {
    reasoning = { mode: 'enabled', effort };
  }

  const ir: IrRequest = {
    model,
    system: decodeSystem(body.system),
    messages,
    tools,
    sampling: compact({ temperature: num(body.temperature), topP: num(body.top_p), topK: num(body.top_k) }),
    stream: body.stream === true,
    extras,
  };
  if (toolChoice) ir.toolChoice = toolChoice;
  if (parallelToolCalls !== undefined) ir.parallelToolCalls = parallelToolCalls;
  const stops = arr(body.stop_sequences).filter((s): s is string => typeof s === 'string');
  if (stops.length > 0) ir.stopSequences = stops;
  const max = num(body.max_tokens);
  if (max !== undefined) ir.maxOutputTokens = max;
  if (reasoning) ir.reasoning = reasoning;
  if (isObj(outputConfig.format) && isObj(outputConfig.format.schema)) {
    ir.responseFormat = { type: 'json_schema', schema: toJsonObject(outputConfig.format.schema) };
  }
  const userId = str(objOrEmpty(body.metadata).user_id);
  if (userId) ir.user = userId;
  return ir;
};

// ------------------------------------------------------------------------------------------------------------
// Encoding IR → Anthropic Messages

type Block = Obj;
interface OutMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

const encodeCache = (cc: IrCacheControl | undefined): Obj | undefined =>
  cc ? (cc.ttl ? { type: 'ephemeral', ttl: cc.ttl } : { type: 'ephemeral' }) : undefined;

const encodeSource = (src: IrImageSource, dropped: string[], where: string): Obj | undefined => {
  switch (src.kind) {
    case 'url':
      return { type: 'url', url: src.url };
    case 'base64':
      return { type: 'base64', media_type: src.mediaType, data: src.data };
    case 'file':
      if (src.origin?.provider === 'anthropic') return { type: 'file', file_id: src.fileId };
      dropped.push(`${where}.file_id`);
      return undefined;
  }
};

// Anthropic accepts only these image types; anything else is a 400 for the whole request.
const ANTHROPIC_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

const encodeMedia = (
  p: IrImagePart | IrDocumentPart,
  dropped: string[],
  where: string,
): Block | undefined => {
  if (
    p.type === 'image' &&
    p.source.kind === 'base64' &&
    !ANTHROPIC_IMAGE_TYPES.includes(p.source.mediaType)
  ) {
    dropped.push(`${where}.image(${p.source.mediaType})`);
    return undefined;
  }
  if (p.type === 'document' && p.source.kind === 'text') {
    return compact({
      type: 'document',
      source: { type: 'text', media_type: 'text/plain', data: p.source.text },
      title: p.title,
      cache_control: encodeCache(p.cacheControl),
    });
  }
  const source = p.source.kind === 'text' ? undefined : encodeSource(p.source, dropped, where);
  if (!source) return undefined;
  return compact({
    type: p.type,
    source,
    title: p.type === 'document' ? p.title : undefined,
    cache_control: encodeCache(p.cacheControl),
  });
};

const encodeText = (p: IrTextPart): Block | undefined =>
  // Anthropic rejects empty text blocks ("text content blocks must be non-empty").
  p.text.trim() === ''
    ? undefined
    : compact({ type: 'text', text: p.text, cache_control: encodeCache(p.cacheControl) });

const encodeToolResult = (r: IrToolResultPart, dropped: string[], where: string): Block => {
  let content: string | Block[];
  if (typeof r.content === 'string') content = r.content;
  else {
    content = [];
    for (const c of r.content) {
      const b = c.type === 'text' ? encodeText(c) : encodeMedia(c, dropped, where);
      if (b) content.push(b);
    }
  }
  return compact({
    type: 'tool_result',
    tool_use_id: toAnthropicToolId(r.callId),
    content,
    is_error: r.isError === true ? true : undefined,
    cache_control: encodeCache(r.cacheControl),
  });
};

const customToolSchema = (description: string | undefined): JsonObject => ({
  type: 'object',
  properties: { input: { type: 'string', description: description ?? 'The raw input for the tool.' } },
  required: ['input'],
});

/** The description of a custom/freeform tool sent as a function: the grammar travels as text. */
export const describeCustomTool = (t: IrCustomTool): string => {
  const base = t.description ?? '';
  const f = t.format;
  if (f?.type === 'grammar') {
    return `${base}\n\nPass the raw tool input in the "input" string. It must follow this ${f.syntax} grammar:\n${f.definition}`.trim();
  }
  return `${base}\n\nPass the raw tool input in the "input" string.`.trim();
};

export const encodeAnthropicRequest = (ir: IrRequest, opts: EncodeRequestOptions = {}): EncodedRequest => {
  const model = opts.model ?? ir.model;
  const profile = opts.profile ?? resolveModelProfile(model);
  const dropped: string[] = [...ir.extras.dropped];
  const toolMap = new ToolNameMap('anthropic');
  const body: Obj = { model };

  // Tools first: their wire names are needed for the messages.
  const tools: Obj[] = [];
  for (const t of ir.tools) {
    if (t.type === 'function') {
      tools.push(
        compact({
          name: toolMap.add(t.name, 'function'),
          description: t.description,
          input_schema: cleanSchemaForAnthropic(t.parameters),
          cache_control: encodeCache(t.cacheControl),
          defer_loading: t.deferLoading === true ? true : undefined,
          strict: t.strict === true ? true : undefined,
        }),
      );
    } else if (t.type === 'custom') {
      tools.push({
        name: toolMap.add(t.name, 'custom'),
        description: describeCustomTool(t),
        input_schema: customToolSchema(undefined),
      });
    } else if (t.protocol === 'anthropic') {
      tools.push(t.raw);
    } else dropped.push(`tools.${t.name}`);
  }

  // Reasoning decision (needs the messages to check the tool-loop rule).
  let thinkingOn =
    ir.reasoning !== undefined &&
    ir.reasoning.mode !== 'disabled' &&
    ir.reasoning.effort !== 'none' &&
    profile.reasoning !== false;
  if (ir.reasoning && !thinkingOn && ir.reasoning.mode !== 'disabled') dropped.push('reasoning');

  // Messages.
  const out: OutMessage[] = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]): void => {
    if (blocks.length === 0) return;
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: [...blocks] });
  };
  ir.messages.forEach((m, mi) => {
    const where = `messages[${mi}]`;
    if (m.role === 'system' || m.role === 'developer') {
      const text = m.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
      if (text.trim() !== '') push('user', [{ type: 'text', text: wrapMidConversationSystem(text) }]);
      return;
    }
    const blocks: Block[] = [];
    for (const p of m.content) {
      switch (p.type) {
        case 'text': {
          const b = encodeText(p);
          if (b) blocks.push(b);
          break;
        }
        case 'image':
        case 'document': {
          const b = encodeMedia(p, dropped, where);
          if (b) blocks.push(b);
          break;
        }
        case 'thinking':
          if (p.origin?.provider === 'anthropic' && p.signature) {
            blocks.push({ type: 'thinking', thinking: p.text, signature: p.signature });
          }
          break;
        case 'redacted_thinking':
          if (p.origin?.provider === 'anthropic') blocks.push({ type: 'redacted_thinking', data: p.data });
          break;
        case 'tool_call':
          blocks.push({
            type: 'tool_use',
            id: toAnthropicToolId(p.id),
            name: toolMap.toWire(p.name),
            input: parseArguments(p.arguments),
          });
          break;
        case 'custom_tool_call':
          blocks.push({
            type: 'tool_use',
            id: toAnthropicToolId(p.id),
            name: toolMap.toWire(p.name),
            input: { input: p.input },
          });
          break;
        case 'tool_result':
          blocks.push(encodeToolResult(p, dropped, where));
          break;
      }
    }
    push(m.role === 'assistant' ? 'assistant' : 'user', blocks);
  });

  repairToolPairs(out);

  // Thinking with a pending tool loop needs the assistant turn to start with a genuine thinking block.
  const lastAssistant = [...out].reverse().find((m) => m.role === 'assistant');
  if (thinkingOn && lastAssistant && lastAssistant.content.some((b) => b.type === 'tool_use')) {
    const first = lastAssistant.content[0];
    if (!first || (first.type !== 'thinking' && first.type !== 'redacted_thinking')) {
      thinkingOn = false;
      dropped.push('thinking (tool loop without a replayable thinking block)');
    }
  }
  if (!thinkingOn) {
    for (const m of out)
      m.content = m.content.filter((b) => b.type !== 'thinking' && b.type !== 'redacted_thinking');
  }

  const system = ir.system
    .filter((s) => s.text !== '')
    .map((s) => compact({ type: 'text', text: s.text, cache_control: encodeCache(s.cacheControl) }));
  if (system.length === 1 && system[0]?.cache_control === undefined) body.system = system[0]?.text;
  else if (system.length > 0) body.system = system;
  body.messages = out.filter((m) => m.content.length > 0);

  // Output limit: required by Anthropic, clamped to the model's limit.
  let maxTokens =
    ir.maxOutputTokens ??
    profile.defaultMaxOutputTokens ??
    Math.min(profile.maxOutputTokens ?? ANTHROPIC_FALLBACK_MAX_TOKENS, 16384);
  if (profile.maxOutputTokens !== undefined && maxTokens > profile.maxOutputTokens) {
    dropped.push(`max_tokens (clamped ${maxTokens} to ${profile.maxOutputTokens})`);
    maxTokens = profile.maxOutputTokens;
  }

  if (thinkingOn && ir.reasoning) {
    const r = ir.reasoning;
    const useBudget = profile.anthropicThinking === 'budget';
    if (useBudget) {
      let budget = r.budgetTokens ?? EFFORT_TO_BUDGET[r.effort ?? 'medium'];
      budget = Math.max(1024, budget);
      if (budget >= maxTokens) {
        const limit = profile.maxOutputTokens ?? Number.MAX_SAFE_INTEGER;
        if (budget + 1024 <= limit) maxTokens = budget + 1024;
        else budget = Math.max(1024, maxTokens - 1);
      }
      body.thinking = compact({ type: 'enabled', budget_tokens: budget, display: r.display });
    } else {
      body.thinking = compact({ type: 'adaptive', display: r.display });
      const effort = r.effort ?? (r.budgetTokens !== undefined ? budgetToEffort(r.budgetTokens) : undefined);
      if (effort) body.output_config = { effort: toAnthropicEffort(effort) };
    }
  }
  body.max_tokens = maxTokens;

  if (tools.length > 0) body.tools = tools;
  const choice = encodeToolChoice(ir, toolMap, tools.length > 0, thinkingOn, dropped);
  if (choice) body.tool_choice = choice;

  if (ir.stopSequences && ir.stopSequences.length > 0) body.stop_sequences = ir.stopSequences;
  const s = ir.sampling;
  if (s.temperature !== undefined) {
    // OpenAI and Gemini allow 0–2, Anthropic 0–1: clamp rather than fail.
    if (thinkingOn) dropped.push('temperature (thinking on)');
    else body.temperature = Math.min(1, Math.max(0, s.temperature));
  }
  if (s.topK !== undefined) {
    if (thinkingOn) dropped.push('top_k (thinking on)');
    else body.top_k = s.topK;
  }
  if (s.topP !== undefined) {
    if (thinkingOn && s.topP < 0.95) dropped.push('top_p (thinking on)');
    else body.top_p = s.topP;
  }
  if (s.frequencyPenalty !== undefined) dropped.push('frequency_penalty');
  if (s.presencePenalty !== undefined) dropped.push('presence_penalty');
  if (s.seed !== undefined) dropped.push('seed');

  if (ir.responseFormat?.type === 'json_schema') {
    body.output_config = {
      ...objOrEmpty(body.output_config),
      format: { type: 'json_schema', schema: cleanSchemaForAnthropic(ir.responseFormat.schema) },
    };
  } else if (ir.responseFormat?.type === 'json_object') dropped.push('response_format=json_object');

  if (ir.user) body.metadata = { user_id: ir.user.slice(0, 256) };
  if (ir.metadata) dropped.push('metadata');
  if (ir.stream) body.stream = true;

  // Same-protocol fields the IR does not model (context_management, container, service_tier …).
  for (const [k, v] of Object.entries(ir.extras.native.anthropic ?? {})) if (!(k in body)) body[k] = v;
  if (!thinkingOn && isObj(body.context_management)) {
    // Thinking-clearing edits need thinking on; with it turned off here they would make the request a 400.
    const cm = body.context_management;
    const edits = arr(cm.edits).filter((e) => !(isObj(e) && String(e.type).startsWith('clear_thinking')));
    if (edits.length !== arr(cm.edits).length)
      dropped.push('context_management.edits (clear_thinking, thinking off)');
    if (edits.length === 0 && Object.keys(cm).length === 1) delete body.context_management;
    else body.context_management = { ...cm, edits };
  }
  for (const [p, fields] of Object.entries(ir.extras.native)) {
    if (p !== 'anthropic') for (const k of Object.keys(fields ?? {})) dropped.push(k);
  }
  return { body: body as JsonObject, stream: ir.stream, dropped, tools: toolMap };
};

const encodeToolChoice = (
  ir: IrRequest,
  toolMap: ToolNameMap,
  hasTools: boolean,
  thinkingOn: boolean,
  dropped: string[],
): Obj | undefined => {
  const tc = ir.toolChoice;
  let out: Obj | undefined;
  if (!hasTools) {
    if (tc && tc.type !== 'none' && tc.type !== 'auto') dropped.push('tool_choice');
    return undefined;
  }
  if (tc) {
    switch (tc.type) {
      case 'auto':
        out = { type: 'auto' };
        break;
      case 'none':
        out = { type: 'none' };
        break;
      case 'required':
        out = { type: 'any' };
        break;
      case 'tool':
        out = { type: 'tool', name: toolMap.toWire(tc.name) };
        break;
      case 'allowed':
        // Anthropic cannot restrict to a subset without removing tools; keep the mode.
        dropped.push('tool_choice.allowed_tools');
        out = { type: tc.mode === 'required' ? 'any' : 'auto' };
        break;
    }
  }
  if (thinkingOn && out && (out.type === 'any' || out.type === 'tool')) {
    // Anthropic rejects forced tool use while thinking.
    dropped.push(`tool_choice=${String(out.type)} (thinking on)`);
    out = { type: 'auto' };
  }
  if (ir.parallelToolCalls === false) {
    if (!out) out = { type: 'auto' };
    if (out.type !== 'none') out.disable_parallel_tool_use = true;
  }
  return out;
};

/**
 * Anthropic requires every tool_use to be answered by a tool_result in the very next user message, and every
 * tool_result to answer a tool_use of the message before. Missing results get a synthetic error result; results
 * without a call become plain text; results move before any other block of their message.
 */
const repairToolPairs = (out: OutMessage[]): void => {
  for (let i = 0; i < out.length; i++) {
    const m = out[i];
    if (!m) continue;
    if (m.role === 'user') {
      const prev = out[i - 1];
      const callIds = new Set(
        prev?.role === 'assistant'
          ? prev.content.filter((b) => b.type === 'tool_use').map((b) => String(b.id))
          : [],
      );
      const results: Block[] = [];
      const rest: Block[] = [];
      for (const b of m.content) {
        if (b.type !== 'tool_result') rest.push(b);
        else if (callIds.has(String(b.tool_use_id))) results.push(b);
        else {
          const text = typeof b.content === 'string' ? b.content : JSON.stringify(b.content);
          rest.push({ type: 'text', text: `[tool result ${String(b.tool_use_id)}]\n${text}` });
        }
      }
      m.content = [...results, ...rest];
    } else if (i < out.length - 1) {
      const ids = m.content.filter((b) => b.type === 'tool_use').map((b) => String(b.id));
      if (ids.length === 0) continue;
      let next = out[i + 1];
      if (!next || next.role !== 'user') {
        next = { role: 'user', content: [] };
        out.splice(i + 1, 0, next);
      }
      const answered = new Set(
        next.content.filter((b) => b.type === 'tool_result').map((b) => String(b.tool_use_id)),
      );
      const missing = ids
        .filter((id) => !answered.has(id))
        .map((id) => ({
          type: 'tool_result',
          tool_use_id: id,
          content: 'No result was recorded for this tool call.',
          is_error: true,
        }));
      next.content = [...missing, ...next.content];
    }
  }
};
