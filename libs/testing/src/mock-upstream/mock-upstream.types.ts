import type { IncomingHttpHeaders } from 'node:http';

/** The wire protocol of the endpoint that was called. */
export type MockProtocol = 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini';

/**
 * What kind of call a request is. Scripted turns are consumed by `generate` calls unless a queue entry
 * names another endpoint (for instance to make an embeddings call fail).
 */
export type MockEndpoint = 'generate' | 'embeddings' | 'count-tokens' | 'models';

/**
 * Why the answer ended, in provider-neutral terms. Rendered per protocol: Chat `finish_reason`, Responses
 * `status` + `incomplete_details`, Anthropic `stop_reason`, Gemini `finishReason`.
 */
export type MockStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

/**
 * Token usage of a turn. `inputTokens` is the whole prompt including cached and cache-written tokens and
 * `outputTokens` the whole output including reasoning (OpenAI's convention); each protocol gets its own
 * shape from these (Anthropic's `input_tokens` excludes cache counts, Gemini's `candidatesTokenCount`
 * excludes thoughts).
 */
export interface MockUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

/** A function tool call: `arguments` is rendered as a JSON string (OpenAI) or an object (Anthropic, Gemini). */
export interface MockFunctionCall {
  type?: 'function';
  name: string;
  arguments?: Record<string, unknown>;
  /** Call id used in every protocol (`call_id`, `tool_use.id`, Gemini `functionCall.id`); generated when absent. */
  id?: string;
}

/**
 * A freeform (custom) tool call with a raw input string, such as Codex's `apply_patch`. Native in OpenAI
 * Responses (`custom_tool_call`) and Chat (`type: "custom"`); other protocols have no such thing and get a
 * function call whose arguments are `{ "input": "<raw>" }`.
 */
export interface MockCustomToolCall {
  type: 'custom';
  name: string;
  input: string;
  id?: string;
}

export type MockToolCall = MockFunctionCall | MockCustomToolCall;

/** An upstream error, rendered in the shape of the provider whose endpoint was called. */
export interface MockError {
  status: number;
  message?: string;
  /** OpenAI `error.type`, Anthropic `error.type`, or Gemini `error.status`; defaults follow the status. */
  type?: string;
  /** OpenAI `error.code`; defaults follow the status. */
  code?: string | null;
  /** Sent as the `retry-after` header (seconds); Gemini 429s also get a `RetryInfo` detail. */
  retryAfterSeconds?: number;
  /** Replaces the rendered body entirely (sent as JSON). */
  body?: unknown;
  /**
   * For streamed requests: start the stream (HTTP 200), send about half of the answer, then the protocol's
   * in-stream error event, then end. Ignored for non-streamed requests, which get the HTTP error.
   */
  midStream?: boolean;
}

/** One scripted answer, described abstractly and rendered in the protocol of the endpoint that was called. */
export interface MockTurn {
  /** Answer text. Omitted with no tool calls means the default echo of the last user text. */
  text?: string;
  /** Number of stream chunks the text (and thinking) is split into; default one per word. */
  chunks?: number;
  /** Number of fragments each tool call's arguments are streamed in; default 3. */
  argumentChunks?: number;
  toolCalls?: MockToolCall[];
  /** Thinking / reasoning text with its opaque signature (Anthropic `signature`, Gemini `thoughtSignature`, Responses `encrypted_content`). */
  thinking?: { text: string; signature?: string };
  usage?: Partial<MockUsage>;
  /** Defaults to `tool_use` when there are tool calls, else `end_turn`. */
  stopReason?: MockStopReason;
  /** The stop sequence that matched (Anthropic `stop_sequence`), with `stopReason: 'stop_sequence'`. */
  stopSequence?: string;
  /** Model name the answer reports; default the requested one (real APIs often answer with a dated snapshot). */
  model?: string;
  error?: MockError;
  /** Wait this long before sending anything (headers included). */
  firstByteDelayMs?: number;
  /** Wait this long between two stream frames. */
  chunkDelayMs?: number;
  /** Cut the connection (socket destroyed, no terminator) after this many stream frames, or mid-body for JSON. */
  dropAfterFrames?: number;
  /** Embedding vector returned by embeddings endpoints for this turn (default: derived from the input text). */
  embedding?: number[];
  /** Token count returned by count-tokens endpoints for this turn (default: a word count of the request). */
  tokenCount?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

/** A request as the mock received it. */
export interface RecordedRequest {
  /** 1-based order of arrival. */
  seq: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when empty or not JSON). */
  body: unknown;
  rawBody: string;
  protocol: MockProtocol | undefined;
  endpoint: MockEndpoint | undefined;
  model: string | undefined;
  stream: boolean;
  /** Epoch milliseconds with sub-millisecond precision (`performance.timeOrigin + performance.now()`). */
  receivedAtMs: number;
  /** Every write of the answer: time and the bytes (SSE frame or JSON body) written. */
  writes: { atMs: number; data: string }[];
  status: number | undefined;
  /** When the answer ended, and how. */
  finishedAtMs: number | undefined;
  outcome: 'completed' | 'dropped' | 'client-closed' | undefined;
  /** The turn that answered it (after defaults), when it was a scripted or default turn. */
  turn: MockTurn | undefined;
}

/** A scripted step: a fixed turn, or a function that decides per request. */
export type MockScriptStep = MockTurn | ((request: RecordedRequest) => MockTurn | Promise<MockTurn>);

/** Which requests a queued step may answer; every given field must match. */
export interface MockMatch {
  protocol?: MockProtocol;
  model?: string;
  endpoint?: MockEndpoint;
}

export interface MockUpstreamOptions {
  /** Port to listen on; default 0 (ephemeral). Always bound to 127.0.0.1. */
  port?: number;
  /**
   * Keys the mock expects, per provider. When set, a request with another key (or none) gets the
   * provider's own authentication error. Unset means any key is accepted.
   */
  keys?: { openai?: string; anthropic?: string; gemini?: string };
  /** Model ids listed by `GET /v1/models` and `GET /v1beta/models`. */
  models?: string[];
  /**
   * Benchmark mode: every generate request gets this turn, pre-rendered once per (protocol, stream, model),
   * and nothing is recorded.
   */
  fixed?: MockTurn;
  /** Answer 400 like Anthropic when `anthropic-version` is missing; default false. */
  requireAnthropicVersion?: boolean;
  /** Oldest recorded requests are forgotten beyond this many; default 10000. */
  maxRecordedRequests?: number;
  /** Dimension of the default embedding vectors; default 16 (or the request's `dimensions`). */
  embeddingDimensions?: number;
}
