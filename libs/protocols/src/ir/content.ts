import type { IrCacheControl, IrOrigin } from './common';

export interface IrTextPart {
  type: 'text';
  text: string;
  cacheControl?: IrCacheControl;
  /** Responses `refusal` parts and Anthropic `refusal` stops surface as text flagged here. */
  refusal?: boolean;
}

export type IrImageSource =
  | { kind: 'url'; url: string; mediaType?: string }
  | { kind: 'base64'; mediaType: string; data: string }
  /** Provider-side file handle (OpenAI `file_id`, Anthropic file, Gemini Files API URI). */
  | { kind: 'file'; fileId: string; mediaType?: string; origin?: IrOrigin };

export interface IrImagePart {
  type: 'image';
  source: IrImageSource;
  /** OpenAI `detail` hint. */
  detail?: 'auto' | 'low' | 'high';
  cacheControl?: IrCacheControl;
}

/** A non-image document (PDF, plain text): Anthropic `document`, OpenAI `file`/`input_file`, Gemini inlineData. */
export interface IrDocumentPart {
  type: 'document';
  source: IrImageSource | { kind: 'text'; text: string };
  filename?: string;
  title?: string;
  cacheControl?: IrCacheControl;
}

/**
 * Model reasoning. `text` is the visible thinking (Anthropic thinking, Gemini thought summary, Responses reasoning
 * summary); `signature` is the opaque proof (Anthropic `signature`, Gemini `thoughtSignature`, Responses
 * `encrypted_content`) that is only valid for `origin`.
 */
export interface IrThinkingPart {
  type: 'thinking';
  text: string;
  signature?: string;
  origin?: IrOrigin;
  /** Responses reasoning item id (`rs_…`), kept for same-protocol replay. */
  itemId?: string;
  /** Responses reasoning summary split into its parts, when the source had several. */
  summary?: string[];
}

/** Anthropic `redacted_thinking` (opaque `data`), replayable only to Anthropic. */
export interface IrRedactedThinkingPart {
  type: 'redacted_thinking';
  data: string;
  origin?: IrOrigin;
}

/** A call of a JSON-schema function tool. `arguments` is a JSON string (as in OpenAI), never an object. */
export interface IrToolCallPart {
  type: 'tool_call';
  /** Upstream id kept end to end (made valid for each target by the encoders). */
  id: string;
  name: string;
  arguments: string;
  /** Who minted `id` (Gemini ids are only sent back to Gemini). */
  origin?: IrOrigin;
  /** Gemini `thoughtSignature` carried on the functionCall part. */
  signature?: string;
  /** Responses item id (`fc_…`), kept for same-protocol replay. */
  itemId?: string;
}

/** A call of a custom/freeform tool (OpenAI `custom`): the input is raw text, not JSON. */
export interface IrCustomToolCallPart {
  type: 'custom_tool_call';
  id: string;
  name: string;
  input: string;
  origin?: IrOrigin;
  /** Responses item id (`ctc_…`). */
  itemId?: string;
}

/** What a tool result may contain besides plain text. */
export type IrToolResultContent = IrTextPart | IrImagePart | IrDocumentPart;

export interface IrToolResultPart {
  type: 'tool_result';
  /** The id of the tool_call / custom_tool_call this answers. */
  callId: string;
  /** Tool name when the source knew it (Gemini `functionResponse.name`); encoders look it up otherwise. */
  name?: string;
  content: string | IrToolResultContent[];
  isError?: boolean;
  /** True when answering a custom/freeform tool call (Responses `custom_tool_call_output`). */
  custom?: boolean;
  cacheControl?: IrCacheControl;
  /** Responses item id (`fco_…`). */
  itemId?: string;
}

export type IrContentPart =
  | IrTextPart
  | IrImagePart
  | IrDocumentPart
  | IrThinkingPart
  | IrRedactedThinkingPart
  | IrToolCallPart
  | IrCustomToolCallPart
  | IrToolResultPart;

/** The blocks a model produces (response IR and stream blocks). */
export type IrOutputPart =
  IrTextPart | IrThinkingPart | IrRedactedThinkingPart | IrToolCallPart | IrCustomToolCallPart;
