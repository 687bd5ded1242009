import type { DecodeRequestContext, EncodeRequestOptions, EncodedRequest } from '../ir/codec';
import { emptyExtras, type JsonObject, type JsonValue } from '../ir/common';
import type {
  IrContentPart,
  IrDocumentPart,
  IrImagePart,
  IrToolResultContent,
  IrToolResultPart,
} from '../ir/content';
import type { IrMessage, IrReasoning, IrRequest, IrSystemBlock, IrTool, IrToolChoice } from '../ir/request';
import {
  arr,
  compact,
  guessMediaType,
  isObj,
  newId,
  num,
  objOrEmpty,
  parseArguments,
  str,
  toJsonObject,
  unknownFields,
  type Obj,
} from '../common/json';
import { resolveModelProfile } from '../common/model-profiles';
import { ToolNameMap } from '../common/tool-names';
import { wrapMidConversationSystem } from '../common/system-text';
import { invalidRequest } from '../errors/error-shapes';
import { EFFORT_TO_BUDGET, budgetToEffort, fromGeminiLevel, toGeminiLevel } from '../mapping/reasoning';
import { cleanSchemaForGeminiJson, cleanSchemaForGeminiOpenApi } from '../schema/json-schema-cleaner';
import { describeCustomTool } from '../anthropic/anthropic-request.codec';

/**
 * Gemini 3 requires a thought signature on the function-call parts of the current turn. For history it did not
 * produce (another provider's calls, or a client that dropped the signature) this placeholder is accepted.
 */
export const GEMINI_PLACEHOLDER_SIGNATURE = 'skip_thought_signature_validator';

/**
 * Prefix of the ids the gateway makes up for Gemini calls that came without one; such ids are never sent back to
 * Gemini (it did not issue them).
 */
export const GEMINI_SYNTHETIC_ID_PREFIX = 'call_gm';

/** Whether to send this call id to Gemini: only ids Gemini itself issued. */
export const isGeminiIssuedId = (id: string, origin: { provider: string } | undefined): boolean =>
  origin?.provider === 'gemini' && !id.startsWith(GEMINI_SYNTHETIC_ID_PREFIX);

const KNOWN = ['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'model'];

/** Gemini OpenAPI `Schema` uses upper-case types; JSON Schema wants lower case. */
const openApiToJsonSchema = (v: JsonValue): JsonValue => {
  if (Array.isArray(v)) return v.map(openApiToJsonSchema);
  if (!isObj(v)) return v;
  const out: JsonObject = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === 'type' && typeof val === 'string') out[k] = val.toLowerCase();
    else if (k === 'properties' && isObj(val)) {
      out[k] = Object.fromEntries(Object.entries(val).map(([pk, pv]) => [pk, openApiToJsonSchema(pv)]));
    } else if (k === 'items' || k === 'anyOf') out[k] = openApiToJsonSchema(val);
    else out[k] = val;
  }
  if (out.nullable === true && typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    delete out.nullable;
  }
  return out;
};

const decodeInline = (d: Obj): IrImagePart | IrDocumentPart => {
  const mediaType = str(d.mimeType) ?? 'application/octet-stream';
  const source = { kind: 'base64' as const, mediaType, data: str(d.data) ?? '' };
  return mediaType.startsWith('image/') ? { type: 'image', source } : { type: 'document', source };
};

const decodeFileData = (d: Obj): IrImagePart | IrDocumentPart => {
  const mediaType = str(d.mimeType) ?? guessMediaType(str(d.fileUri) ?? '');
  const source = { kind: 'url' as const, url: str(d.fileUri) ?? '', mediaType };
  return mediaType.startsWith('image/') ? { type: 'image', source } : { type: 'document', source };
};

/** A functionResponse's `response` as tool-result content: `{output}`/`{result}` strings are unwrapped. */
const responseToContent = (resp: unknown): { content: string; isError: boolean } => {
  const r = objOrEmpty(resp);
  const keys = Object.keys(r);
  if (keys.length === 1 && typeof r.error === 'string') return { content: r.error, isError: true };
  if (
    keys.length === 1 &&
    (typeof r.output === 'string' || typeof r.result === 'string' || typeof r.content === 'string')
  ) {
    return { content: String(r.output ?? r.result ?? r.content), isError: false };
  }
  return { content: JSON.stringify(resp ?? {}), isError: keys.length === 1 && r.error !== undefined };
};

export const decodeGeminiRequest = (body: unknown, ctx: DecodeRequestContext = {}): IrRequest => {
  if (!isObj(body)) throw invalidRequest('request body must be a JSON object');
  if (!Array.isArray(body.contents)) throw invalidRequest('contents is required', 'contents');
  const model = (ctx.model ?? str(body.model) ?? '').replace(/^models\//, '');
  if (!model) throw invalidRequest('model is required', 'model');
  const extras = emptyExtras();
  const dropped = extras.dropped;
  const native = unknownFields(body, KNOWN);
  const gc = objOrEmpty(body.generationConfig);

  const system: IrSystemBlock[] =
    typeof body.systemInstruction === 'string'
      ? [{ role: 'system', text: body.systemInstruction }]
      : arr(objOrEmpty(body.systemInstruction).parts)
          .filter(isObj)
          .flatMap((p) => (typeof p.text === 'string' ? [{ role: 'system' as const, text: p.text }] : []));

  // Gemini often sends calls without ids: results are matched to calls by name, in order.
  const pendingByName = new Map<string, string[]>();
  const messages: IrMessage[] = [];
  body.contents.forEach((c, ci) => {
    if (!isObj(c)) return;
    const where = `contents[${ci}]`;
    const isModel = c.role === 'model';
    const parts: IrContentPart[] = [];
    const results: IrToolResultPart[] = [];
    arr(c.parts).forEach((p, pi) => {
      if (!isObj(p)) return;
      const sig = str(p.thoughtSignature);
      if (typeof p.text === 'string') {
        if (p.thought === true) {
          parts.push({
            type: 'thinking',
            text: p.text,
            ...(sig ? { signature: sig } : {}),
            origin: { provider: 'gemini', model },
          });
        } else parts.push({ type: 'text', text: p.text });
      } else if (isObj(p.inlineData)) parts.push(decodeInline(p.inlineData));
      else if (isObj(p.fileData)) parts.push(decodeFileData(p.fileData));
      else if (isObj(p.functionCall)) {
        const fc = p.functionCall;
        const name = str(fc.name) ?? '';
        const givenId = str(fc.id);
        const id = givenId ?? newId(GEMINI_SYNTHETIC_ID_PREFIX);
        pendingByName.set(name, [...(pendingByName.get(name) ?? []), id]);
        parts.push({
          type: 'tool_call',
          id,
          name,
          arguments: JSON.stringify(fc.args ?? {}),
          origin: { provider: 'gemini', model },
          ...(sig ? { signature: sig } : {}),
        });
      } else if (isObj(p.functionResponse)) {
        const fr = p.functionResponse;
        const name = str(fr.name) ?? '';
        const queue = pendingByName.get(name) ?? [];
        const callId = str(fr.id) ?? queue.shift() ?? newId(GEMINI_SYNTHETIC_ID_PREFIX);
        const { content, isError } = responseToContent(fr.response);
        const media = arr(fr.parts)
          .filter(isObj)
          .flatMap((mp): IrToolResultContent[] =>
            isObj(mp.inlineData) ? [decodeInline(mp.inlineData)] : [],
          );
        const r: IrToolResultPart = {
          type: 'tool_result',
          callId,
          name,
          content: media.length > 0 ? [{ type: 'text', text: content }, ...media] : content,
        };
        if (isError) r.isError = true;
        results.push(r);
      } else {
        dropped.push(`${where}.parts[${pi}]`);
      }
    });
    if (isModel) messages.push({ role: 'assistant', content: parts });
    else {
      if (results.length > 0) messages.push({ role: 'tool', content: results });
      if (parts.length > 0 || results.length === 0) messages.push({ role: 'user', content: parts });
    }
  });

  const tools: IrTool[] = [];
  for (const t of arr(body.tools)) {
    if (!isObj(t)) continue;
    const decls = arr(t.functionDeclarations);
    if (decls.length > 0) {
      for (const d of decls) {
        if (!isObj(d)) continue;
        const params = isObj(d.parametersJsonSchema)
          ? toJsonObject(d.parametersJsonSchema)
          : isObj(d.parameters)
            ? (openApiToJsonSchema(toJsonObject(d.parameters)) as JsonObject)
            : { type: 'object', properties: {} };
        const tool: IrTool = { type: 'function', name: str(d.name) ?? '', parameters: params };
        const desc = str(d.description);
        if (desc !== undefined) tool.description = desc;
        tools.push(tool);
      }
    } else {
      const name = Object.keys(t)[0] ?? 'unknown';
      tools.push({ type: 'builtin', protocol: 'gemini', name, raw: toJsonObject(t) });
    }
  }

  let toolChoice: IrToolChoice | undefined;
  const fcc = objOrEmpty(objOrEmpty(body.toolConfig).functionCallingConfig);
  const allowed = arr(fcc.allowedFunctionNames).filter((n): n is string => typeof n === 'string');
  if (fcc.mode === 'AUTO') toolChoice = { type: 'auto' };
  else if (fcc.mode === 'NONE') toolChoice = { type: 'none' };
  else if (fcc.mode === 'ANY' || fcc.mode === 'VALIDATED') {
    if (allowed.length === 1) toolChoice = { type: 'tool', name: allowed[0] ?? '' };
    else if (allowed.length > 1) toolChoice = { type: 'allowed', mode: 'required', names: allowed };
    else toolChoice = { type: 'required' };
  }

  let reasoning: IrReasoning | undefined;
  const tc = objOrEmpty(gc.thinkingConfig);
  const budget = num(tc.thinkingBudget);
  const level = str(tc.thinkingLevel);
  if (budget !== undefined || level !== undefined || tc.includeThoughts !== undefined) {
    if (budget === 0) reasoning = { mode: 'disabled' };
    else if (budget === -1) reasoning = { mode: 'adaptive' };
    else if (budget !== undefined) reasoning = { mode: 'enabled', budgetTokens: budget };
    else reasoning = { mode: level !== undefined ? 'enabled' : 'adaptive' };
    const effort = level !== undefined ? fromGeminiLevel(level) : undefined;
    if (effort) reasoning.effort = effort;
    if (tc.includeThoughts === true) reasoning.display = 'summarized';
    else if (tc.includeThoughts === false) reasoning.display = 'omitted';
  }

  const ir: IrRequest = {
    model,
    system,
    messages,
    tools,
    sampling: compact({
      temperature: num(gc.temperature),
      topP: num(gc.topP),
      topK: num(gc.topK),
      frequencyPenalty: num(gc.frequencyPenalty),
      presencePenalty: num(gc.presencePenalty),
      seed: num(gc.seed),
    }),
    stream: ctx.stream === true,
    extras,
  };
  if (toolChoice) ir.toolChoice = toolChoice;
  const stops = arr(gc.stopSequences).filter((s): s is string => typeof s === 'string');
  if (stops.length > 0) ir.stopSequences = stops;
  const max = num(gc.maxOutputTokens);
  if (max !== undefined) ir.maxOutputTokens = max;
  if (reasoning) ir.reasoning = reasoning;
  if (gc.responseMimeType === 'application/json') {
    const schema = isObj(gc.responseJsonSchema)
      ? toJsonObject(gc.responseJsonSchema)
      : isObj(gc.responseSchema)
        ? (openApiToJsonSchema(toJsonObject(gc.responseSchema)) as JsonObject)
        : undefined;
    ir.responseFormat = schema ? { type: 'json_schema', schema } : { type: 'json_object' };
  }
  const gcKnown = [
    'temperature',
    'topP',
    'topK',
    'frequencyPenalty',
    'presencePenalty',
    'seed',
    'stopSequences',
    'maxOutputTokens',
    'thinkingConfig',
    'responseMimeType',
    'responseJsonSchema',
    'responseSchema',
  ];
  const gcUnknown = unknownFields(gc, gcKnown);
  if (Object.keys(gcUnknown).length > 0) native.generationConfig = gcUnknown;
  if (Object.keys(native).length > 0) extras.native.gemini = native;
  return ir;
};

/**
 * A `:countTokens` body: `{contents}` (what @google/genai sends on the Developer API) or
 * `{generateContentRequest:{model, contents, systemInstruction, tools …}}`.
 */
export const decodeGeminiCountTokensRequest = (body: unknown, ctx: DecodeRequestContext = {}): IrRequest => {
  const inner = isObj(body) && isObj(body.generateContentRequest) ? body.generateContentRequest : body;
  return decodeGeminiRequest(inner, ctx);
};

// ------------------------------------------------------------------------------------------------------------
// Encoding IR → Gemini generateContent

export interface GeminiEncodeOptions extends EncodeRequestOptions {
  /**
   * `parametersJsonSchema` (JSON Schema, the default: what @google/genai itself sends) or `parameters` (the
   * OpenAPI subset, for older models or proxies that only know it).
   */
  schemaField?: 'parametersJsonSchema' | 'parameters';
}

const encodeMediaPart = (
  p: IrImagePart | IrDocumentPart,
  dropped: string[],
  where: string,
): Obj | undefined => {
  const s = p.source;
  switch (s.kind) {
    case 'base64':
      return { inlineData: { mimeType: s.mediaType, data: s.data } };
    case 'url':
      // Gemini cannot fetch arbitrary URLs itself; Files-API and gs:// URIs work, others are passed on as fileData.
      return { fileData: { mimeType: s.mediaType ?? guessMediaType(s.url), fileUri: s.url } };
    case 'file':
      if (s.origin?.provider === 'gemini')
        return { fileData: { mimeType: s.mediaType ?? 'application/octet-stream', fileUri: s.fileId } };
      dropped.push(`${where}.file`);
      return undefined;
    case 'text':
      return { text: s.text };
  }
};

const toolResultResponse = (r: IrToolResultPart): { response: Obj; media: Obj[] } => {
  const text =
    typeof r.content === 'string'
      ? r.content
      : r.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('\n');
  const media: Obj[] = [];
  if (typeof r.content !== 'string') {
    for (const c of r.content) {
      if (c.type !== 'text' && c.source.kind === 'base64')
        media.push({ inlineData: { mimeType: c.source.mediaType, data: c.source.data } });
    }
  }
  return { response: r.isError === true ? { error: text } : { output: text }, media };
};

export const encodeGeminiRequest = (ir: IrRequest, opts: GeminiEncodeOptions = {}): EncodedRequest => {
  const model = opts.model ?? ir.model;
  const profile = opts.profile ?? resolveModelProfile(model);
  const schemaField = opts.schemaField ?? profile.geminiSchemaField ?? 'parametersJsonSchema';
  const clean = schemaField === 'parameters' ? cleanSchemaForGeminiOpenApi : cleanSchemaForGeminiJson;
  const dropped: string[] = [...ir.extras.dropped];
  const toolMap = new ToolNameMap('gemini');
  const body: Obj = {};

  const decls: Obj[] = [];
  const builtins: Obj[] = [];
  for (const t of ir.tools) {
    if (t.type === 'function') {
      decls.push(
        compact({
          name: toolMap.add(t.name, 'function'),
          description: t.description,
          [schemaField]: clean(t.parameters),
        }),
      );
    } else if (t.type === 'custom') {
      decls.push({
        name: toolMap.add(t.name, 'custom'),
        description: describeCustomTool(t),
        [schemaField]: clean({
          type: 'object',
          properties: { input: { type: 'string' } },
          required: ['input'],
        }),
      });
    } else if (t.protocol === 'gemini') builtins.push(t.raw);
    else dropped.push(`tools.${t.name}`);
  }

  // Names of the calls, for functionResponse (Gemini needs the name, other protocols only give the id).
  const callNames = new Map<string, string>();
  const callOrigins = new Map<string, boolean>();
  for (const m of ir.messages) {
    for (const p of m.content) {
      if (p.type === 'tool_call' || p.type === 'custom_tool_call') {
        callNames.set(p.id, toolMap.toWire(p.name));
        callOrigins.set(p.id, isGeminiIssuedId(p.id, p.origin));
      }
    }
  }

  const contents: { role: 'user' | 'model'; parts: Obj[] }[] = [];
  const push = (role: 'user' | 'model', parts: Obj[]): void => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    // Gemini rejects consecutive turns of one role: merge them.
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts: [...parts] });
  };
  ir.messages.forEach((m, mi) => {
    const where = `messages[${mi}]`;
    const parts: Obj[] = [];
    if (m.role === 'system' || m.role === 'developer') {
      const text = m.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
      if (text.trim() !== '') push('user', [{ text: wrapMidConversationSystem(text) }]);
      return;
    }
    let firstCallInTurn = true;
    const media: Obj[] = [];
    for (const p of m.content) {
      switch (p.type) {
        case 'text':
          if (p.text !== '') parts.push({ text: p.text });
          break;
        case 'image':
        case 'document': {
          const enc = encodeMediaPart(p, dropped, where);
          if (enc) parts.push(enc);
          break;
        }
        case 'thinking':
          if (p.origin?.provider === 'gemini')
            parts.push(compact({ text: p.text, thought: true, thoughtSignature: p.signature }));
          break;
        case 'redacted_thinking':
          break;
        case 'tool_call':
        case 'custom_tool_call': {
          const args = p.type === 'tool_call' ? parseArguments(p.arguments) : { input: p.input };
          const fc: Obj = { name: toolMap.toWire(p.name), args };
          if (isGeminiIssuedId(p.id, p.origin)) fc.id = p.id;
          const part: Obj = { functionCall: fc };
          const sig = p.type === 'tool_call' && p.origin?.provider === 'gemini' ? p.signature : undefined;
          if (sig) part.thoughtSignature = sig;
          else if (firstCallInTurn && profile.reasoning !== false)
            part.thoughtSignature = GEMINI_PLACEHOLDER_SIGNATURE;
          firstCallInTurn = false;
          parts.push(part);
          break;
        }
        case 'tool_result': {
          const { response, media: m2 } = toolResultResponse(p);
          const fr: Obj = {
            name: p.name !== undefined ? toolMap.toWire(p.name) : (callNames.get(p.callId) ?? 'tool'),
            response,
          };
          if (callOrigins.get(p.callId) === true) fr.id = p.callId;
          parts.push({ functionResponse: fr });
          media.push(...m2);
          break;
        }
      }
    }
    push(m.role === 'assistant' ? 'model' : 'user', [...parts, ...media]);
  });
  // Gemini wants the conversation to open with a user turn.
  if (contents[0]?.role === 'model') contents.unshift({ role: 'user', parts: [{ text: '(continue)' }] });
  body.contents = contents;

  const systemText = ir.system.map((s) => s.text).filter((t) => t !== '');
  if (systemText.length > 0) body.systemInstruction = { parts: systemText.map((text) => ({ text })) };

  const tools: Obj[] = [];
  if (decls.length > 0) tools.push({ functionDeclarations: decls });
  tools.push(...builtins);
  if (tools.length > 0) body.tools = tools;

  if (decls.length > 0 && ir.toolChoice) {
    const tc = ir.toolChoice;
    let fcc: Obj | undefined;
    switch (tc.type) {
      case 'auto':
        fcc = { mode: 'AUTO' };
        break;
      case 'none':
        fcc = { mode: 'NONE' };
        break;
      case 'required':
        fcc = { mode: 'ANY' };
        break;
      case 'tool':
        fcc = { mode: 'ANY', allowedFunctionNames: [toolMap.toWire(tc.name)] };
        break;
      case 'allowed':
        fcc =
          tc.mode === 'required'
            ? { mode: 'ANY', allowedFunctionNames: tc.names.map((n) => toolMap.toWire(n)) }
            : { mode: 'AUTO' };
        if (tc.mode === 'auto') dropped.push('tool_choice.allowed_tools');
        break;
    }
    body.toolConfig = { functionCallingConfig: fcc };
  }
  if (ir.parallelToolCalls === false) dropped.push('parallel_tool_calls');

  const gc: Obj = {};
  const s = ir.sampling;
  if (s.temperature !== undefined) gc.temperature = s.temperature;
  if (s.topP !== undefined) gc.topP = s.topP;
  if (s.topK !== undefined) gc.topK = s.topK;
  if (s.frequencyPenalty !== undefined) gc.frequencyPenalty = s.frequencyPenalty;
  if (s.presencePenalty !== undefined) gc.presencePenalty = s.presencePenalty;
  if (s.seed !== undefined) gc.seed = s.seed;
  if (ir.stopSequences && ir.stopSequences.length > 0) {
    if (ir.stopSequences.length > 5) dropped.push('stop (over 5)');
    gc.stopSequences = ir.stopSequences.slice(0, 5);
  }
  let max = ir.maxOutputTokens ?? profile.defaultMaxOutputTokens;
  if (max !== undefined && profile.maxOutputTokens !== undefined && max > profile.maxOutputTokens) {
    dropped.push(`max_tokens (clamped ${max} to ${profile.maxOutputTokens})`);
    max = profile.maxOutputTokens;
  }
  if (max !== undefined) gc.maxOutputTokens = max;

  const r = ir.reasoning;
  const off = r !== undefined && (r.mode === 'disabled' || r.effort === 'none');
  if (r && off && profile.thinkingAlwaysOn === true) {
    dropped.push('reasoning (thinking cannot be turned off on this model)');
  } else if (r && profile.reasoning !== false) {
    const thinking: Obj = {};
    if (profile.geminiThinking === 'level') {
      if (r.mode === 'disabled') thinking.thinkingLevel = 'MINIMAL';
      else if (r.effort) thinking.thinkingLevel = toGeminiLevel(r.effort);
      else if (r.budgetTokens !== undefined)
        thinking.thinkingLevel = toGeminiLevel(budgetToEffort(r.budgetTokens));
    } else if (r.mode === 'disabled' || r.effort === 'none') thinking.thinkingBudget = 0;
    else if (r.budgetTokens !== undefined) thinking.thinkingBudget = r.budgetTokens;
    else if (r.effort) thinking.thinkingBudget = EFFORT_TO_BUDGET[r.effort];
    else thinking.thinkingBudget = -1;
    if (r.mode !== 'disabled' && r.display !== 'omitted') thinking.includeThoughts = true;
    if (Object.keys(thinking).length > 0) gc.thinkingConfig = thinking;
  } else if (r && r.mode !== 'disabled') dropped.push('reasoning');

  const rf = ir.responseFormat;
  if (rf?.type === 'json_object') gc.responseMimeType = 'application/json';
  else if (rf?.type === 'json_schema') {
    gc.responseMimeType = 'application/json';
    if (schemaField === 'parameters') gc.responseSchema = cleanSchemaForGeminiOpenApi(rf.schema);
    else gc.responseJsonSchema = cleanSchemaForGeminiJson(rf.schema);
  }
  const nativeGemini = ir.extras.native.gemini ?? {};
  if (isObj(nativeGemini.generationConfig)) Object.assign(gc, nativeGemini.generationConfig, { ...gc });
  if (Object.keys(gc).length > 0) body.generationConfig = gc;

  if (ir.user) dropped.push('user');
  if (ir.metadata) dropped.push('metadata');
  for (const [k, v] of Object.entries(nativeGemini))
    if (k !== 'generationConfig' && !(k in body)) body[k] = v;
  for (const [p, fields] of Object.entries(ir.extras.native)) {
    if (p !== 'gemini') for (const k of Object.keys(fields ?? {})) dropped.push(k);
  }
  return { body: body as JsonObject, stream: ir.stream, dropped, tools: toolMap };
};
