import type { SseEvent } from '../sse/sse-event';
import type { ModelProfile } from '../common/model-profiles';
import type { ToolNameMap } from '../common/tool-names';
import type { JsonObject, ProtocolId } from './common';
import type { IrRequest } from './request';
import type { IrResponse } from './response';
import type { IrStreamEvent } from './stream';

/** What the URL carries that the body does not (Gemini puts the model and streaming in the path). */
export interface DecodeRequestContext {
  model?: string;
  stream?: boolean;
}

export interface EncodeRequestOptions {
  /** Upstream model name (after aliasing); defaults to `ir.model`. */
  model?: string;
  /** Limits and capabilities of the target model; defaults to `resolveModelProfile(model)`. */
  profile?: ModelProfile;
}

export interface EncodedRequest {
  body: JsonObject;
  /** Whether to call the streaming endpoint (Gemini `:streamGenerateContent?alt=sse`). */
  stream: boolean;
  /** Dotted names of fields that could not be carried to the target (for the debug log). */
  dropped: string[];
  /** Tool names as sent upstream ↔ as the client knows them; pass it to the response/stream decoder. */
  tools: ToolNameMap;
}

export interface DecodeResponseOptions {
  /** From `EncodedRequest.tools`: restores the client's tool names and custom-tool calls. */
  tools?: ToolNameMap;
  /** Model name to report when the upstream does not say. */
  model?: string;
}

export interface EncodeResponseOptions {
  /** The model name the client asked for, reported back instead of the upstream's. */
  model?: string;
}

export interface EncodeStreamOptions {
  model?: string;
  /** OpenAI `stream_options.include_usage`: emit the final `choices: []` usage chunk. */
  includeUsage?: boolean;
}

/** Upstream SSE events → IR stream events, incrementally. Stateful: one per stream. */
export interface StreamDecoder {
  push(event: SseEvent): IrStreamEvent[];
  /** The upstream closed; returns whatever closing events are still owed (open blocks, message_stop). */
  end(): IrStreamEvent[];
}

/** IR stream events → client SSE events, incrementally. Stateful: one per stream. */
export interface StreamEncoder {
  push(event: IrStreamEvent): SseEvent[];
  /** Returns the protocol's terminator (e.g. `data: [DONE]`), closing anything left open. */
  end(): SseEvent[];
}

/**
 * One wire protocol. `decode*` never throw on unknown fields (they are kept in `extras`); they throw
 * `ProtocolError` (400) only when the body cannot be understood at all.
 */
export interface ProtocolCodec {
  readonly protocol: ProtocolId;
  decodeRequest(body: unknown, ctx?: DecodeRequestContext): IrRequest;
  encodeRequest(ir: IrRequest, opts?: EncodeRequestOptions): EncodedRequest;
  decodeResponse(body: unknown, opts?: DecodeResponseOptions): IrResponse;
  encodeResponse(ir: IrResponse, opts?: EncodeResponseOptions): JsonObject;
  createStreamDecoder(opts?: DecodeResponseOptions): StreamDecoder;
  createStreamEncoder(opts?: EncodeStreamOptions): StreamEncoder;
}
