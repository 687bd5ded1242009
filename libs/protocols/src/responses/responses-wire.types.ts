// OpenAI Responses API wire shapes (openai-node 6.x/7.x `resources/responses`), limited to what the gateway reads
// or writes. Unknown fields on requests are tolerated: passthrough forwards the raw body, and translation reports
// what it could not carry instead of failing.

import type { JsonObject } from '../ir/common';

export type ResponsesRole = 'user' | 'assistant' | 'system' | 'developer';

export interface ResponsesInputText {
  type: 'input_text';
  text: string;
}

export interface ResponsesInputImage {
  type: 'input_image';
  image_url?: string | null;
  file_id?: string | null;
  detail?: 'low' | 'high' | 'auto' | 'original';
}

export interface ResponsesInputFile {
  type: 'input_file';
  file_id?: string | null;
  file_data?: string;
  file_url?: string;
  filename?: string;
}

export interface ResponsesOutputText {
  type: 'output_text';
  text: string;
  annotations: unknown[];
  logprobs?: unknown[];
}

export interface ResponsesRefusal {
  type: 'refusal';
  refusal: string;
}

export type ResponsesMessageContentPart =
  ResponsesInputText | ResponsesInputImage | ResponsesInputFile | ResponsesOutputText | ResponsesRefusal;

/** Tool outputs may carry text, images and files (`function_call_output.output` as an array). */
export type ResponsesToolOutputPart = ResponsesInputText | ResponsesInputImage | ResponsesInputFile;

export type ResponsesItemStatus = 'in_progress' | 'completed' | 'incomplete';

/** Input message: the "easy" form (`type` omitted) and the typed form share this shape. */
export interface ResponsesMessageItem {
  type?: 'message';
  id?: string;
  role: ResponsesRole;
  content: string | ResponsesMessageContentPart[];
  status?: ResponsesItemStatus;
  phase?: 'commentary' | 'final_answer' | null;
}

export interface ResponsesFunctionCallItem {
  type: 'function_call';
  id?: string;
  call_id: string;
  name: string;
  /** JSON text of the arguments object. */
  arguments: string;
  /** Set when the called function belongs to a `namespace` tool. */
  namespace?: string;
  status?: ResponsesItemStatus;
}

export interface ResponsesFunctionCallOutputItem {
  type: 'function_call_output';
  id?: string;
  call_id: string;
  output: string | ResponsesToolOutputPart[];
  status?: ResponsesItemStatus;
}

export interface ResponsesCustomToolCallItem {
  type: 'custom_tool_call';
  id?: string;
  call_id: string;
  name: string;
  /** Raw text written by the model (e.g. an apply_patch body), not JSON. */
  input: string;
  namespace?: string;
  status?: ResponsesItemStatus;
}

export interface ResponsesCustomToolCallOutputItem {
  type: 'custom_tool_call_output';
  id?: string;
  call_id: string;
  output: string | ResponsesToolOutputPart[];
  status?: ResponsesItemStatus;
}

export interface ResponsesSummaryText {
  type: 'summary_text';
  text: string;
}

export interface ResponsesReasoningText {
  type: 'reasoning_text';
  text: string;
}

export interface ResponsesReasoningItem {
  type: 'reasoning';
  id?: string;
  summary: ResponsesSummaryText[];
  content?: ResponsesReasoningText[];
  encrypted_content?: string | null;
  status?: ResponsesItemStatus;
}

/** Codex "code mode" (GPT-6 catalog models) sends its tools as an input item instead of top-level `tools`. */
export interface ResponsesAdditionalToolsItem {
  type: 'additional_tools';
  id?: string;
  role?: ResponsesRole;
  tools: ResponsesTool[];
}

export interface ResponsesItemReference {
  type: 'item_reference';
  id: string;
}

/** Hosted-tool calls, MCP items, compaction items …: accepted, not translatable, reported as dropped. */
export interface ResponsesOtherItem {
  type: string;
  id?: string;
  [key: string]: unknown;
}

export type ResponsesInputItem =
  | ResponsesMessageItem
  | ResponsesFunctionCallItem
  | ResponsesFunctionCallOutputItem
  | ResponsesCustomToolCallItem
  | ResponsesCustomToolCallOutputItem
  | ResponsesReasoningItem
  | ResponsesAdditionalToolsItem
  | ResponsesItemReference;

// ---------------------------------------------------------------- tools

export interface ResponsesFunctionTool {
  type: 'function';
  name: string;
  description?: string | null;
  parameters?: JsonObject | null;
  strict?: boolean | null;
  defer_loading?: boolean;
}

export type ResponsesCustomToolFormat =
  { type: 'text' } | { type: 'grammar'; syntax: 'lark' | 'regex'; definition: string };

export interface ResponsesCustomTool {
  type: 'custom';
  name: string;
  description?: string;
  format?: ResponsesCustomToolFormat;
  defer_loading?: boolean;
}

export interface ResponsesNamespaceTool {
  type: 'namespace';
  name: string;
  description?: string;
  tools: (ResponsesFunctionTool | ResponsesCustomTool)[];
}

/** web_search, file_search, tool_search, code_interpreter, mcp, … kept verbatim. */
export interface ResponsesBuiltinTool {
  type: string;
  [key: string]: unknown;
}

export type ResponsesTool =
  ResponsesFunctionTool | ResponsesCustomTool | ResponsesNamespaceTool | ResponsesBuiltinTool;

export type ResponsesToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; name: string }
  | { type: 'custom'; name: string }
  | { type: 'allowed_tools'; mode: 'auto' | 'required'; tools: { type: string; name?: string }[] }
  | { type: string; [key: string]: unknown };

export type ResponsesTextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name?: string; schema: JsonObject; strict?: boolean | null; description?: string };

export interface ResponsesRequest {
  model: string;
  input?: string | (ResponsesInputItem | ResponsesOtherItem)[];
  instructions?: string | null;
  previous_response_id?: string | null;
  store?: boolean | null;
  stream?: boolean | null;
  include?: string[] | null;
  tools?: ResponsesTool[];
  tool_choice?: ResponsesToolChoice;
  parallel_tool_calls?: boolean | null;
  reasoning?: {
    effort?: 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'max' | null;
    summary?: 'auto' | 'concise' | 'detailed' | null;
    [key: string]: unknown;
  } | null;
  text?: { format?: ResponsesTextFormat; verbosity?: 'low' | 'medium' | 'high' | null } | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  metadata?: Record<string, string> | null;
  user?: string;
  safety_identifier?: string;
  prompt_cache_key?: string;
  truncation?: 'auto' | 'disabled' | null;
  service_tier?: string | null;
  [key: string]: unknown;
}

// ---------------------------------------------------------------- output

export interface ResponsesOutputMessage {
  type: 'message';
  id: string;
  role: 'assistant';
  status: ResponsesItemStatus;
  content: (ResponsesOutputText | ResponsesRefusal)[];
}

export interface ResponsesOutputFunctionCall {
  type: 'function_call';
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: ResponsesItemStatus;
  namespace?: string;
}

export interface ResponsesOutputCustomToolCall {
  type: 'custom_tool_call';
  id: string;
  call_id: string;
  name: string;
  input: string;
  status: ResponsesItemStatus;
  namespace?: string;
}

export interface ResponsesOutputReasoning {
  type: 'reasoning';
  id: string;
  summary: ResponsesSummaryText[];
  encrypted_content?: string | null;
  status?: ResponsesItemStatus;
}

export type ResponsesOutputItem =
  | ResponsesOutputMessage
  | ResponsesOutputFunctionCall
  | ResponsesOutputCustomToolCall
  | ResponsesOutputReasoning;

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens?: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponsesStatus = 'completed' | 'failed' | 'in_progress' | 'cancelled' | 'queued' | 'incomplete';

export interface ResponsesErrorObject {
  code: string;
  message: string;
}

/** The response object (non-streamed body, and `response` inside lifecycle events). */
export interface ResponsesResponse {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponsesStatus;
  completed_at: number | null;
  error: ResponsesErrorObject | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: ResponsesOutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number | null;
  text: { format: ResponsesTextFormat; verbosity?: string | null };
  tool_choice: ResponsesToolChoice;
  tools: ResponsesTool[];
  top_p: number | null;
  truncation: 'auto' | 'disabled';
  usage: ResponsesUsage | null;
  user: string | null;
  metadata: Record<string, string>;
}

// ---------------------------------------------------------------- stream events

interface SeqEvent {
  sequence_number: number;
}

export type ResponsesStreamEvent =
  | (SeqEvent & { type: 'response.created' | 'response.in_progress'; response: ResponsesResponse })
  | (SeqEvent & {
      type: 'response.completed' | 'response.incomplete' | 'response.failed';
      response: ResponsesResponse;
    })
  | (SeqEvent & {
      type: 'response.output_item.added' | 'response.output_item.done';
      output_index: number;
      item: ResponsesOutputItem;
    })
  | (SeqEvent & {
      type: 'response.content_part.added' | 'response.content_part.done';
      item_id: string;
      output_index: number;
      content_index: number;
      part: ResponsesOutputText | ResponsesRefusal;
    })
  | (SeqEvent & {
      type: 'response.output_text.delta';
      item_id: string;
      output_index: number;
      content_index: number;
      delta: string;
      logprobs: unknown[];
    })
  | (SeqEvent & {
      type: 'response.output_text.done';
      item_id: string;
      output_index: number;
      content_index: number;
      text: string;
      logprobs: unknown[];
    })
  | (SeqEvent & {
      type: 'response.refusal.delta';
      item_id: string;
      output_index: number;
      content_index: number;
      delta: string;
    })
  | (SeqEvent & {
      type: 'response.refusal.done';
      item_id: string;
      output_index: number;
      content_index: number;
      refusal: string;
    })
  | (SeqEvent & {
      type: 'response.function_call_arguments.delta';
      item_id: string;
      output_index: number;
      delta: string;
    })
  | (SeqEvent & {
      type: 'response.function_call_arguments.done';
      item_id: string;
      output_index: number;
      name: string;
      arguments: string;
    })
  | (SeqEvent & {
      type: 'response.custom_tool_call_input.delta';
      item_id: string;
      output_index: number;
      delta: string;
    })
  | (SeqEvent & {
      type: 'response.custom_tool_call_input.done';
      item_id: string;
      output_index: number;
      input: string;
    })
  | (SeqEvent & {
      type: 'response.reasoning_summary_part.added' | 'response.reasoning_summary_part.done';
      item_id: string;
      output_index: number;
      summary_index: number;
      part: ResponsesSummaryText;
    })
  | (SeqEvent & {
      type: 'response.reasoning_summary_text.delta';
      item_id: string;
      output_index: number;
      summary_index: number;
      delta: string;
    })
  | (SeqEvent & {
      type: 'response.reasoning_summary_text.done';
      item_id: string;
      output_index: number;
      summary_index: number;
      text: string;
    })
  | (SeqEvent & { type: 'error'; code: string | null; message: string; param: string | null });

export type ResponsesStreamEventType = ResponsesStreamEvent['type'];
