import type { IrCacheControl, IrExtras, JsonObject } from './common';
import type { IrContentPart } from './content';

/**
 * A system or developer instruction. Leading ones live in `IrRequest.system`; ones that appear in the middle of a
 * conversation stay in place as `IrMessage`s with role `system`/`developer`.
 */
export interface IrSystemBlock {
  role: 'system' | 'developer';
  text: string;
  cacheControl?: IrCacheControl;
}

/**
 * One conversation turn. Tool results live in `tool` messages (each may hold several results, e.g. one Anthropic
 * user turn answering a parallel batch); user text that followed them in the same source turn comes after, as a
 * separate `user` message, so OpenAI's "tool messages right after the call" rule holds.
 */
export interface IrMessage {
  role: 'user' | 'assistant' | 'tool' | 'system' | 'developer';
  content: IrContentPart[];
  /** Source message/item id (Responses `msg_…`), kept for same-protocol replay. */
  id?: string;
  /** OpenAI `name` on a message. */
  name?: string;
}

export interface IrFunctionTool {
  type: 'function';
  name: string;
  description?: string;
  /** JSON Schema of the arguments object (uncleaned: encoders clean it for their target). */
  parameters: JsonObject;
  strict?: boolean;
  cacheControl?: IrCacheControl;
  /** Anthropic advanced-tool-use `defer_loading`; Responses `defer_loading`. */
  deferLoading?: boolean;
  /** Responses `namespace` tool this function was flattened from. */
  namespace?: string;
}

export type IrCustomToolFormat =
  { type: 'text' } | { type: 'grammar'; syntax: 'lark' | 'regex'; definition: string };

/** OpenAI custom/freeform tool: the model writes raw text (e.g. Codex `apply_patch` with a Lark grammar). */
export interface IrCustomTool {
  type: 'custom';
  name: string;
  description?: string;
  format?: IrCustomToolFormat;
  namespace?: string;
}

/**
 * A provider's own tool (web_search, bash_20250124, googleSearch …) kept verbatim. It only survives to the same
 * protocol; other encoders drop it and report it.
 */
export interface IrBuiltinTool {
  type: 'builtin';
  protocol: 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini';
  name: string;
  raw: JsonObject;
}

export type IrTool = IrFunctionTool | IrCustomTool | IrBuiltinTool;

export type IrToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  | { type: 'required' }
  | { type: 'tool'; name: string; custom?: boolean }
  /** OpenAI `allowed_tools`: restrict to these names, then auto or required. */
  | { type: 'allowed'; mode: 'auto' | 'required'; names: string[] };

export type IrReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'max';

/**
 * Reasoning request. Sources give an effort (OpenAI, Anthropic `output_config.effort`, Gemini `thinkingLevel`)
 * and/or a token budget (Anthropic `budget_tokens`, Gemini `thinkingBudget`); encoders convert with the table
 * in `reasoning-map.ts`.
 */
export interface IrReasoning {
  /** `enabled` = explicit budget, `adaptive` = model decides (Anthropic adaptive, Gemini budget -1). */
  mode: 'enabled' | 'adaptive' | 'disabled';
  effort?: IrReasoningEffort;
  budgetTokens?: number;
  /** Whether the client wants the thinking text back (Anthropic `display`, Gemini `includeThoughts`). */
  display?: 'summarized' | 'omitted';
  /** Responses `reasoning.summary`. */
  summary?: 'auto' | 'concise' | 'detailed';
}

export type IrResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name?: string; description?: string; schema: JsonObject; strict?: boolean };

export interface IrSampling {
  temperature?: number;
  topP?: number;
  topK?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  seed?: number;
}

export interface IrRequest {
  model: string;
  system: IrSystemBlock[];
  messages: IrMessage[];
  tools: IrTool[];
  toolChoice?: IrToolChoice;
  parallelToolCalls?: boolean;
  sampling: IrSampling;
  stopSequences?: string[];
  maxOutputTokens?: number;
  reasoning?: IrReasoning;
  responseFormat?: IrResponseFormat;
  /** End-user identifier (OpenAI `user`/`safety_identifier`, Anthropic `metadata.user_id`, verbatim). */
  user?: string;
  /** String key/values (OpenAI `metadata`). */
  metadata?: Record<string, string>;
  /** Cache bucketing hint (OpenAI `prompt_cache_key`). */
  promptCacheKey?: string;
  /** OpenAI `verbosity` / Responses `text.verbosity`. */
  verbosity?: 'low' | 'medium' | 'high';
  stream: boolean;
  /** The client asked for usage in the stream (OpenAI `stream_options.include_usage`). */
  includeUsage?: boolean;
  extras: IrExtras;
}
