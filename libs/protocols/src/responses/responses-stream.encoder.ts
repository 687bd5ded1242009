import { randomFillSync } from 'node:crypto';
import type { IrOrigin } from '../ir/common';
import type { IrError } from '../ir/error';
import type { IrRequest } from '../ir/request';
import type { IrStopReason, IrUsage } from '../ir/response';
import { emptyUsage } from '../ir/response';
import type { IrBlockDelta, IrBlockStart, IrStreamEvent } from '../ir/stream';
import type { EncodeStreamOptions, StreamEncoder } from '../ir/codec';
import type { SseEvent } from '../sse/sse-event';
import { jsonEvent } from '../sse/sse-serializer';
import { cloneJson, isObj, jsonString } from '../common/json';
import { CustomInputExtractor } from './custom-input-extractor';
import { sealReasoning } from './reasoning-envelope';
import { ToolNamespaceMap } from './tool-namespaces';
import { usageToResponses } from './responses-usage';
import type {
  ResponsesOutputCustomToolCall,
  ResponsesOutputFunctionCall,
  ResponsesOutputItem,
  ResponsesOutputMessage,
  ResponsesOutputReasoning,
  ResponsesOutputText,
  ResponsesResponse,
  ResponsesStatus,
  ResponsesStreamEvent,
  ResponsesTextFormat,
  ResponsesTool,
  ResponsesToolChoice,
} from './responses-wire.types';

/** The request settings a response object echoes back (OpenAI returns them on every lifecycle event). */
export type ResponsesEcho = Pick<
  ResponsesResponse,
  | 'instructions'
  | 'max_output_tokens'
  | 'parallel_tool_calls'
  | 'previous_response_id'
  | 'reasoning'
  | 'store'
  | 'temperature'
  | 'text'
  | 'tool_choice'
  | 'tools'
  | 'top_p'
  | 'truncation'
  | 'user'
  | 'metadata'
>;

/** Echo fields taken from the client's request body as it came (the faithful source). */
export const echoFromRequestBody = (body: unknown): ResponsesEcho => {
  const b = isObj(body) ? body : {};
  const reasoning = isObj(b.reasoning) ? b.reasoning : {};
  const text = isObj(b.text) ? b.text : {};
  const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const numOr = (v: unknown, d: number | null): number | null => (typeof v === 'number' ? v : d);
  const metadata: Record<string, string> = {};
  if (isObj(b.metadata))
    for (const [k, v] of Object.entries(b.metadata)) if (typeof v === 'string') metadata[k] = v;
  return {
    instructions: strOrNull(b.instructions),
    max_output_tokens: numOr(b.max_output_tokens, null),
    parallel_tool_calls: typeof b.parallel_tool_calls === 'boolean' ? b.parallel_tool_calls : true,
    previous_response_id: strOrNull(b.previous_response_id),
    reasoning: { effort: strOrNull(reasoning.effort), summary: strOrNull(reasoning.summary) },
    store: typeof b.store === 'boolean' ? b.store : true,
    temperature: numOr(b.temperature, 1),
    text: {
      format: (isObj(text.format) ? text.format : { type: 'text' }) as ResponsesTextFormat,
      verbosity: strOrNull(text.verbosity) ?? 'medium',
    },
    tool_choice: (b.tool_choice ?? 'auto') as ResponsesToolChoice,
    tools: (Array.isArray(b.tools) ? b.tools : []) as ResponsesTool[],
    top_p: numOr(b.top_p, 1),
    truncation: b.truncation === 'auto' ? 'auto' : 'disabled',
    user: strOrNull(b.user),
    metadata,
  };
};

/** Echo fields rebuilt from the IR when the original body is not at hand. */
export const echoFromIr = (ir: IrRequest): ResponsesEcho => {
  const native = ir.extras.native['openai-responses'] ?? {};
  return echoFromRequestBody({
    ...native,
    max_output_tokens: ir.maxOutputTokens,
    parallel_tool_calls: ir.parallelToolCalls,
    reasoning: { effort: ir.reasoning?.effort, summary: ir.reasoning?.summary },
    temperature: ir.sampling.temperature,
    top_p: ir.sampling.topP,
    user: ir.user,
    metadata: ir.metadata,
  });
};

export interface ResponsesEncodeOptions extends EncodeStreamOptions {
  /** Model name reported to the client (the name it asked for); defaults to the request's, then the upstream's. */
  model?: string;
  /** `resp_…` id; by default an upstream `resp_` id is kept and any other gets a fresh one. */
  responseId?: string;
  /** Unix seconds; defaults to the upstream's or now. */
  createdAtSec?: number;
  /** The decoded client request: recovers namespaced and custom tool names and the echo fields. */
  request?: IrRequest;
  /** The client's body as it came: echoed verbatim (tools, text, reasoning …) on the response object. */
  requestBody?: unknown;
  /** From `decodeResponsesRequest`; exact even for names that had to be sanitized. */
  toolNames?: ToolNamespaceMap;
  /** Upstream family, for reasoning signatures whose block did not say where it came from. */
  upstream?: IrOrigin;
  /** Emit the flat `error` event before `response.failed` (as OpenAI does mid-stream); default true. */
  errorEvent?: boolean;
  /**
   * Takes each event as its type and JSON text the moment it is emitted, instead of it being returned as an
   * object (`push`, `end` and `begin` then return nothing). No event object is built: the JSON is written
   * from the writer's live objects (the response, its items and parts) as they stand at that event, with
   * templates for the commonest events. Deep copies of those objects were most of a translated Responses
   * stream's encoding cost, and the event objects themselves the next largest part. For SSE encoders.
   * Default: events are returned, as copies a caller may keep.
   */
  sink?: (type: string, json: string) => void;
  /** Id factory (`prefix` + random); injectable for deterministic tests. */
  newId?: (prefix: string) => string;
  /** Clock in unix seconds; injectable for tests. */
  nowSec?: () => number;
}

// Ids draw 16 random bytes each from a pool refilled 256 ids at a time: one randomFillSync per 256
// ids instead of a randomBytes call (a Buffer and a trip to OpenSSL) per id, as uuid does.
const ID_POOL = Buffer.alloc(16 * 256);
let idPoolAt = ID_POOL.length;

export const randomResponsesId = (prefix: string): string => {
  if (idPoolAt === ID_POOL.length) {
    randomFillSync(ID_POOL);
    idPoolAt = 0;
  }
  const at = idPoolAt;
  idPoolAt += 16;
  return `${prefix}${ID_POOL.toString('hex', at, at + 16)}`;
};

type OpenBlock =
  | { kind: 'message'; outputIndex: number; item: ResponsesOutputMessage; part: ResponsesOutputText }
  | {
      kind: 'reasoning';
      outputIndex: number;
      item: ResponsesOutputReasoning;
      text: string;
      partOpen: boolean;
      signature: string;
      origin?: IrOrigin;
    }
  | { kind: 'function'; outputIndex: number; item: ResponsesOutputFunctionCall }
  | {
      kind: 'custom';
      outputIndex: number;
      item: ResponsesOutputCustomToolCall;
      extractor?: CustomInputExtractor;
    }
  /** Opened lazily: an upstream block that never carries text (Anthropic sends empty ones) leaves no empty item. */
  | { kind: 'pending-text' }
  | { kind: 'pending-reasoning'; itemId?: string; origin?: IrOrigin; signature: string }
  | { kind: 'closed' };

/**
 * The echoed request settings in the three runs the response object has them, in its field order
 * (`responseObject` spreads them; `responseObjectJson` serializes each run once per response).
 */
const echoHead = (e: ResponsesEcho) => ({
  instructions: e.instructions,
  max_output_tokens: e.max_output_tokens,
});
const echoMid = (e: ResponsesEcho) => ({
  parallel_tool_calls: e.parallel_tool_calls,
  previous_response_id: e.previous_response_id,
  reasoning: e.reasoning,
  store: e.store,
  temperature: e.temperature,
  text: e.text,
  tool_choice: e.tool_choice,
  tools: e.tools,
  top_p: e.top_p,
  truncation: e.truncation,
});
const echoTail = (e: ResponsesEcho) => ({ user: e.user, metadata: e.metadata });

const json = JSON.stringify;

/**
 * The echo's three runs as JSON members (`"a":1,"b":2`), written member by member in `echoHead`,
 * `echoMid` and `echoTail`'s order: what JSON.stringify of those objects gives without its braces,
 * without building the objects or copying their JSON to drop the braces (a copy of the tools' schemas,
 * ~15 KB for Codex, and most of the encoder's fixed cost per response on a short answer).
 */
const echoMembers = (e: ResponsesEcho): { head: string; mid: string; tail: string } => ({
  head: `"instructions":${json(e.instructions)},"max_output_tokens":${json(e.max_output_tokens)}`,
  mid:
    `"parallel_tool_calls":${json(e.parallel_tool_calls)},"previous_response_id":${json(e.previous_response_id)},` +
    `"reasoning":${reasoningJson(e.reasoning)},"store":${json(e.store)},"temperature":${json(e.temperature)},` +
    `"text":${textJson(e.text)},"tool_choice":${json(e.tool_choice)},` +
    `"tools":${e.tools.length === 0 ? '[]' : json(e.tools)},"top_p":${json(e.top_p)},"truncation":${json(e.truncation)}`,
  tail: `"user":${json(e.user)},"metadata":${isEmpty(e.metadata) ? '{}' : json(e.metadata)}`,
});

// The echo's small objects as the request left them most of the time, without a JSON.stringify
// each (~0.3 us apiece under load); anything else is stringified.

/** `{"effort":…,"summary":…}`: what `echoFromRequestBody` makes (exactly those two members). */
const reasoningJson = (r: ResponsesEcho['reasoning']): string => {
  if (r === null || typeof r !== 'object') return json(r);
  const keys = Object.keys(r);
  return keys.length === 2 &&
    keys[0] === 'effort' &&
    keys[1] === 'summary' &&
    isStringOrNull(r.effort) &&
    isStringOrNull(r.summary)
    ? `{"effort":${json(r.effort)},"summary":${json(r.summary)}}`
    : json(r);
};

const isStringOrNull = (v: unknown): boolean => v === null || typeof v === 'string';

/** `text` with the default format, `{"type":"text"}`, written out. */
const textJson = (t: ResponsesEcho['text']): string => {
  const keys = Object.keys(t);
  if (
    keys.length !== 2 ||
    keys[0] !== 'format' ||
    keys[1] !== 'verbosity' ||
    !isTextFormat(t.format) ||
    !isStringOrNull(t.verbosity)
  )
    return json(t);
  return `{"format":{"type":"text"},"verbosity":${json(t.verbosity)}}`;
};

const isTextFormat = (f: unknown): boolean => {
  if (f === null || typeof f !== 'object') return false;
  const keys = Object.keys(f);
  return keys.length === 1 && keys[0] === 'type' && (f as { type: unknown }).type === 'text';
};

/** A finite number as JSON.stringify writes it (String gives the same); anything else goes to it. */
const numberJson = (n: number): string => (Number.isFinite(n) ? String(n) : json(n));

/** `null`, or JSON.stringify of the value. */
const nullOr = (v: unknown): string =>
  v === null ? 'null' : typeof v === 'number' ? numberJson(v) : json(v);

/** The usage as `usageToResponses` makes it (its members in that order), written out; null while in progress. */
const usageJson = (u: ResponsesResponse['usage']): string => {
  if (u === null) return 'null';
  const d = u.input_tokens_details;
  const write =
    d.cache_write_tokens === undefined ? '' : `,"cache_write_tokens":${numberJson(d.cache_write_tokens)}`;
  return (
    `{"input_tokens":${numberJson(u.input_tokens)},"input_tokens_details":{"cached_tokens":${numberJson(d.cached_tokens)}${write}},` +
    `"output_tokens":${numberJson(u.output_tokens)},"output_tokens_details":{"reasoning_tokens":${numberJson(u.output_tokens_details.reasoning_tokens)}},` +
    `"total_tokens":${numberJson(u.total_tokens)}}`
  );
};

const isEmpty = (o: object): boolean => {
  for (const _ in o) return false;
  return true;
};

const errorCode = (e: IrError): string => {
  if (e.code !== undefined) return e.code;
  switch (e.kind) {
    case 'rate_limit':
      return 'rate_limit_exceeded';
    case 'insufficient_quota':
      return 'insufficient_quota';
    case 'invalid_request':
    case 'request_too_large':
      return 'invalid_prompt';
    default:
      return 'server_error';
  }
};

/**
 * IR stream events → the Responses event sequence, event by event (nothing is held back beyond the current
 * delta). Every output item gets its own `output_index` in the order items open, its own id (upstream ids kept:
 * Anthropic `toolu_…` become `call_id`s) and a strictly increasing `sequence_number` from 0. The same machine
 * builds the non-streamed response object (`encodeResponsesResponse`), so both always agree.
 */
export class ResponsesStreamWriter {
  private seq = 0;
  private started = false;
  private finished = false;
  private readonly output: ResponsesOutputItem[] = [];
  private readonly blocks = new Map<number, OpenBlock>();
  private stopReason: IrStopReason | undefined;
  private usage: IrUsage | undefined;
  private responseId: string | undefined;
  private model: string;
  private createdAt: number | undefined;
  private completedAt: number | null = null;
  private status: ResponsesStatus = 'in_progress';
  private error: { code: string; message: string } | null = null;
  /** The JSON of the response as the last lifecycle event serialized it (with a `sink` only). */
  private responseJson: string | undefined;
  /** The echo's JSON in the response's three runs of echo fields, written once (with a `sink` only). */
  private echoJson: { head: string; mid: string; tail: string } | undefined;
  /** The text deltas' JSON up to the delta, for the item they belong to (with a `sink` only). */
  private textDeltaHead: { itemId: string; outputIndex: number; json: string } | undefined;
  /** Each finished output item's JSON by output index, as its `output_item.done` carried it (with a `sink`). */
  private readonly itemJson: string[] = [];
  private incomplete: ResponsesResponse['incomplete_details'] = null;
  private readonly echo: ResponsesEcho;
  private readonly names: ToolNamespaceMap;
  private readonly customNames: Set<string>;
  private readonly newId: (prefix: string) => string;
  private readonly nowSec: () => number;
  /** `opts.sink`, or the one given beside the options. */
  private readonly sink: ((type: string, json: string) => void) | undefined;

  /**
   * `sink` beside `opts`: an encoder passes its own without copying the caller's options into a new
   * object for it (`{ ...opts, sink: closure }` cost V8 4-5 us per writer, a new hidden class each time).
   */
  constructor(
    private readonly opts: ResponsesEncodeOptions = {},
    sink?: (type: string, json: string) => void,
  ) {
    this.sink = sink ?? opts.sink;
    this.model = opts.model ?? opts.request?.model ?? '';
    this.responseId = opts.responseId;
    this.createdAt = opts.createdAtSec;
    this.echo =
      opts.requestBody !== undefined
        ? echoFromRequestBody(opts.requestBody)
        : opts.request
          ? echoFromIr(opts.request)
          : echoFromRequestBody({});
    this.names = opts.toolNames ?? ToolNamespaceMap.fromIrTools(opts.request?.tools ?? []);
    this.customNames = new Set(
      (opts.request?.tools ?? []).flatMap((t) => (t.type === 'custom' ? [t.name] : [])),
    );
    this.newId = opts.newId ?? randomResponsesId;
    this.nowSec = opts.nowSec ?? (() => Math.floor(Date.now() / 1000));
  }

  get done(): boolean {
    return this.finished;
  }

  /**
   * Emits `response.created` and `response.in_progress` now, before the upstream answers (keeps a client such as
   * Codex from timing out on a slow first token). Later events continue the same sequence.
   */
  begin(): ResponsesStreamEvent[] {
    const out: ResponsesStreamEvent[] = [];
    if (!this.finished) this.start(out);
    return out;
  }

  /** The response object as it stands (the final one once `done`): a copy the caller may keep. */
  snapshot(): ResponsesResponse {
    return cloneJson(this.responseObject());
  }

  /**
   * Once `done`: the final response object itself, not a copy (the writer never changes it again), and,
   * with a `sink`, its JSON text as the terminal event carried it. What the
   * gateway stores for `previous_response_id`, without copying or serializing the response again.
   */
  final(): { response: ResponsesResponse; json: string | undefined } {
    if (!this.finished) throw new Error('ResponsesStreamWriter.final() before the response is done');
    return { response: this.responseObject(), json: this.responseJson };
  }

  /** What an event carries: the live object when the event is serialized as emitted (a `sink`), else a copy. */
  private carried<T>(value: T): T {
    return this.sink !== undefined ? value : cloneJson(value);
  }

  push(ev: IrStreamEvent): ResponsesStreamEvent[] {
    if (this.finished) return [];
    const out: ResponsesStreamEvent[] = [];
    switch (ev.type) {
      case 'message_start':
        if (this.responseId === undefined && ev.id.startsWith('resp_')) this.responseId = ev.id;
        if (this.model === '') this.model = ev.model;
        if (this.createdAt === undefined && ev.createdAtSec !== undefined) this.createdAt = ev.createdAtSec;
        if (ev.usage) this.usage = ev.usage;
        this.start(out);
        break;
      case 'block_start':
        this.start(out);
        this.blockStart(ev.index, ev.block, out);
        break;
      case 'block_delta':
        this.start(out);
        this.blockDelta(ev.index, ev.delta, out);
        break;
      case 'block_stop':
        this.blockStop(ev.index, out);
        break;
      case 'message_delta':
        if (ev.stopReason) this.stopReason = ev.stopReason;
        if (ev.usage) this.usage = ev.usage;
        break;
      case 'message_stop':
        this.start(out);
        this.complete(out);
        break;
      case 'error':
        this.start(out);
        this.fail(ev.error, out);
        break;
    }
    return out;
  }

  /**
   * The upstream stream ended. A stream that stopped without `message_stop` is completed when a stop reason had
   * arrived and failed otherwise: a Responses stream must always end with a terminal event (Codex reports
   * "stream closed before response.completed" when it does not).
   */
  end(): ResponsesStreamEvent[] {
    if (this.finished) return [];
    const out: ResponsesStreamEvent[] = [];
    this.start(out);
    if (this.stopReason) this.complete(out);
    else
      this.fail(
        {
          status: 502,
          kind: 'server_error',
          message: 'The upstream stream ended before the response was complete.',
        },
        out,
      );
    return out;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Emits an event with the next sequence number: appended to `out`, or, with a `sink`, handed to it as
   * JSON written now, while the live objects it carries are as they are at this event. The JSON is what
   * JSON.stringify gives for the event with `sequence_number` last: by `json` when given (a template that
   * must give exactly that), else by JSON.stringify of `ev` with the number spliced in before its closing
   * brace (no copy of the event to add it).
   */
  private emit(
    out: ResponsesStreamEvent[],
    ev: { type: string; [key: string]: unknown },
    json?: (sequenceNumber: number) => string,
  ): void {
    const seq = this.seq++;
    const sink = this.sink;
    if (sink === undefined) {
      out.push({ ...ev, sequence_number: seq } as ResponsesStreamEvent);
      return;
    }
    if (json) sink(ev.type, json(seq));
    else {
      const text = JSON.stringify(ev);
      sink(ev.type, `${text.slice(0, -1)},"sequence_number":${seq}}`);
    }
  }

  /**
   * `response.output_text.delta`, the commonest event: with a `sink`, its JSON is a template around the
   * two strings it carries (no event object, no walk over one).
   */
  private emitTextDelta(
    out: ResponsesStreamEvent[],
    itemId: string,
    outputIndex: number,
    text: string,
  ): void {
    const sink = this.sink;
    if (sink !== undefined) {
      const seq = this.seq++;
      // Everything before the delta is the same for every delta of the item: written once per item.
      let head = this.textDeltaHead;
      if (head === undefined || head.itemId !== itemId || head.outputIndex !== outputIndex) {
        head = {
          itemId,
          outputIndex,
          json: `{"type":"response.output_text.delta","item_id":${jsonString(itemId)},"output_index":${outputIndex},"content_index":0,"delta":`,
        };
        this.textDeltaHead = head;
      }
      sink(
        'response.output_text.delta',
        `${head.json}${jsonString(text)},"logprobs":[],"sequence_number":${seq}}`,
      );
      return;
    }
    this.emit(out, {
      type: 'response.output_text.delta',
      item_id: itemId,
      output_index: outputIndex,
      content_index: 0,
      delta: text,
      logprobs: [],
    });
  }

  private start(out: ResponsesStreamEvent[]): void {
    if (this.started) return;
    this.started = true;
    this.responseId ??= this.newId('resp_');
    this.createdAt ??= this.nowSec();
    // The two events carry the same response: with a sink, it is serialized once for both.
    this.emitLifecycle(out, 'response.created', 'response.in_progress');
  }

  /**
   * Events whose payload is the response object as it stands (`response.created`, `.completed` …).
   * With a `sink`, the response's JSON is written once for all of them and kept as `responseJson`
   * (the last one written is the terminal event's, which `final()` returns).
   */
  private emitLifecycle(out: ResponsesStreamEvent[], ...types: string[]): void {
    if (this.sink !== undefined) {
      const json = this.responseObjectJson();
      this.responseJson = json;
      for (const type of types)
        this.emit(out, { type }, (seq) => `{"type":"${type}","response":${json},"sequence_number":${seq}}`);
      return;
    }
    for (const type of types) this.emit(out, { type, response: this.carried(this.responseObject()) });
  }

  /**
   * `JSON.stringify(this.responseObject())`, with the echoed request settings (the tools' schemas
   * among them: ~15 KB for Codex) serialized once per response instead of at every lifecycle event.
   * The field order is `responseObject`'s; the property test holds the two equal.
   */
  private responseObjectJson(): string {
    const echo = (this.echoJson ??= echoMembers(this.echo));
    return (
      `{"id":${jsonString(this.responseId ?? '')},"object":"response","created_at":${numberJson(this.createdAt ?? 0)},` +
      `"status":"${this.status}","completed_at":${nullOr(this.completedAt)},"error":${nullOr(this.error)},` +
      `"incomplete_details":${nullOr(this.incomplete)},${echo.head},"model":${jsonString(this.model)},` +
      `"output":${this.outputJson()},${echo.mid},"usage":${usageJson(this.usageObject())},${echo.tail}}`
    );
  }

  /** The output items' JSON: from the finished items' texts when every item is finished (they no longer change). */
  private outputJson(): string {
    const n = this.output.length;
    if (n === 0) return '[]';
    for (let i = 0; i < n; i++) if (this.itemJson[i] === undefined) return JSON.stringify(this.output);
    return `[${this.itemJson.slice(0, n).join(',')}]`;
  }

  private responseObject(): ResponsesResponse {
    const e = this.echo;
    return {
      id: this.responseId ?? '',
      object: 'response',
      created_at: this.createdAt ?? 0,
      status: this.status,
      completed_at: this.completedAt,
      error: this.error,
      incomplete_details: this.incomplete,
      ...echoHead(e),
      model: this.model,
      output: this.output,
      ...echoMid(e),
      usage: this.usageObject(),
      ...echoTail(e),
    };
  }

  private usageObject(): ResponsesResponse['usage'] {
    return this.status === 'in_progress' ? null : usageToResponses(this.usage ?? emptyUsage());
  }

  private closeAll(out: ResponsesStreamEvent[]): void {
    for (const index of [...this.blocks.keys()].sort((a, b) => a - b)) this.blockStop(index, out);
  }

  private complete(out: ResponsesStreamEvent[]): void {
    this.closeAll(out);
    const kind = this.stopReason?.kind ?? 'end_turn';
    if (kind === 'error') {
      this.fail(
        {
          status: 500,
          kind: 'server_error',
          message: `The model stopped with an error (${this.stopReason?.raw ?? 'unknown'}).`,
        },
        out,
      );
      return;
    }
    this.finished = true;
    if (kind === 'max_tokens' || kind === 'content_filter') {
      this.status = 'incomplete';
      this.incomplete = { reason: kind === 'max_tokens' ? 'max_output_tokens' : 'content_filter' };
      this.emitLifecycle(out, 'response.incomplete');
      return;
    }
    this.status = 'completed';
    this.completedAt = this.nowSec();
    this.emitLifecycle(out, 'response.completed');
  }

  private fail(error: IrError, out: ResponsesStreamEvent[]): void {
    this.finished = true;
    // Items cut off by the failure stay in the final object as they were, marked incomplete.
    for (const b of this.blocks.values()) if ('item' in b && 'status' in b.item) b.item.status = 'incomplete';
    this.blocks.clear();
    const code = errorCode(error);
    this.status = 'failed';
    this.error = { code, message: error.message };
    if (this.opts.errorEvent ?? true)
      this.emit(out, { type: 'error', code, message: error.message, param: error.param ?? null });
    this.emitLifecycle(out, 'response.failed');
  }

  // ---------------------------------------------------------------- blocks

  /** `itemJson`: the item's JSON as it stands, when the caller has a template for it. */
  private addItem(item: ResponsesOutputItem, out: ResponsesStreamEvent[], itemJson?: () => string): number {
    const outputIndex = this.output.length;
    this.output.push(item);
    this.emit(
      out,
      { type: 'response.output_item.added', output_index: outputIndex, item: this.carried(item) },
      itemJson &&
        ((seq) =>
          `{"type":"response.output_item.added","output_index":${outputIndex},"item":${itemJson()},"sequence_number":${seq}}`),
    );
    return outputIndex;
  }

  private origin(o: IrOrigin | undefined): IrOrigin | undefined {
    return o ?? this.opts.upstream;
  }

  private blockStart(index: number, block: IrBlockStart, out: ResponsesStreamEvent[]): void {
    if (this.blocks.has(index)) this.blockStop(index, out);
    switch (block.type) {
      case 'text':
        this.blocks.set(index, { kind: 'pending-text' });
        return;
      case 'thinking': {
        const origin = this.origin(block.origin);
        this.blocks.set(index, {
          kind: 'pending-reasoning',
          signature: '',
          ...(block.itemId !== undefined ? { itemId: block.itemId } : {}),
          ...(origin ? { origin } : {}),
        });
        return;
      }
      case 'redacted_thinking': {
        const origin = this.origin(block.origin) ?? { provider: 'anthropic' };
        const item: ResponsesOutputReasoning = {
          id: this.newId('rs_'),
          type: 'reasoning',
          summary: [],
          encrypted_content: sealReasoning({ origin, redacted: block.data }),
        };
        this.itemDone(out, this.addItem(item, out), item);
        this.blocks.set(index, { kind: 'closed' });
        return;
      }
      case 'tool_call': {
        const callId = block.id !== '' ? block.id : this.newId('call_');
        if (block.signature !== undefined) {
          // Gemini's thought signature rides on the function call; the client only echoes standard fields, so it
          // travels in a reasoning item just before the call (see reasoning-envelope.ts).
          const origin = this.origin(block.origin) ?? { provider: 'gemini' };
          const carrier: ResponsesOutputReasoning = {
            id: this.newId('rs_'),
            type: 'reasoning',
            summary: [],
            encrypted_content: sealReasoning({ origin, call: { id: callId, signature: block.signature } }),
          };
          this.itemDone(out, this.addItem(carrier, out), carrier);
        }
        if (this.customNames.has(block.name)) {
          // A custom tool offered upstream as a one-string-parameter function: back to a custom_tool_call.
          this.openCustom(index, callId, block.name, block.itemId, new CustomInputExtractor(), out);
          return;
        }
        const ref = this.names.resolve(block.name);
        const item: ResponsesOutputFunctionCall = {
          id: block.itemId ?? this.newId('fc_'),
          type: 'function_call',
          status: 'in_progress',
          arguments: '',
          call_id: callId,
          name: ref.name,
        };
        if (ref.namespace !== undefined) item.namespace = ref.namespace;
        const outputIndex = this.addItem(item, out);
        this.blocks.set(index, { kind: 'function', outputIndex, item });
        return;
      }
      case 'custom_tool_call': {
        const callId = block.id !== '' ? block.id : this.newId('call_');
        this.openCustom(index, callId, block.name, block.itemId, undefined, out);
        return;
      }
    }
  }

  private openMessage(index: number, out: ResponsesStreamEvent[]): Extract<OpenBlock, { kind: 'message' }> {
    const item: ResponsesOutputMessage = {
      id: this.newId('msg_'),
      type: 'message',
      status: 'in_progress',
      content: [],
      role: 'assistant',
    };
    // The two opening events as templates (what JSON.stringify gives for them; the property test holds it).
    const id = jsonString(item.id);
    const outputIndex = this.addItem(
      item,
      out,
      () => `{"id":${id},"type":"message","status":"in_progress","content":[],"role":"assistant"}`,
    );
    const part: ResponsesOutputText = { type: 'output_text', annotations: [], logprobs: [], text: '' };
    item.content.push(part);
    this.emit(
      out,
      {
        type: 'response.content_part.added',
        item_id: item.id,
        output_index: outputIndex,
        content_index: 0,
        part: this.carried(part),
      },
      (seq) =>
        `{"type":"response.content_part.added","item_id":${id},"output_index":${outputIndex},"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""},"sequence_number":${seq}}`,
    );
    const open: Extract<OpenBlock, { kind: 'message' }> = { kind: 'message', outputIndex, item, part };
    this.blocks.set(index, open);
    return open;
  }

  private openReasoning(
    index: number,
    pending: Extract<OpenBlock, { kind: 'pending-reasoning' }>,
    out: ResponsesStreamEvent[],
  ): Extract<OpenBlock, { kind: 'reasoning' }> {
    const item: ResponsesOutputReasoning = {
      id: pending.itemId ?? this.newId('rs_'),
      type: 'reasoning',
      summary: [],
    };
    const outputIndex = this.addItem(item, out);
    const open: Extract<OpenBlock, { kind: 'reasoning' }> = {
      kind: 'reasoning',
      outputIndex,
      item,
      text: '',
      partOpen: false,
      signature: pending.signature,
      ...(pending.origin ? { origin: pending.origin } : {}),
    };
    this.blocks.set(index, open);
    return open;
  }

  private openCustom(
    index: number,
    callId: string,
    flatName: string,
    itemId: string | undefined,
    extractor: CustomInputExtractor | undefined,
    out: ResponsesStreamEvent[],
  ): void {
    const ref = this.names.resolve(flatName);
    const item: ResponsesOutputCustomToolCall = {
      id: itemId ?? this.newId('ctc_'),
      type: 'custom_tool_call',
      status: 'in_progress',
      call_id: callId,
      input: '',
      name: ref.name,
    };
    if (ref.namespace !== undefined) item.namespace = ref.namespace;
    const outputIndex = this.addItem(item, out);
    this.blocks.set(index, { kind: 'custom', outputIndex, item, ...(extractor ? { extractor } : {}) });
  }

  private customDelta(
    b: Extract<OpenBlock, { kind: 'custom' }>,
    text: string,
    out: ResponsesStreamEvent[],
  ): void {
    if (text === '') return;
    b.item.input += text;
    this.emit(out, {
      type: 'response.custom_tool_call_input.delta',
      item_id: b.item.id,
      output_index: b.outputIndex,
      delta: text,
    });
  }

  private blockDelta(index: number, delta: IrBlockDelta, out: ResponsesStreamEvent[]): void {
    let b = this.blocks.get(index);
    if (!b || b.kind === 'closed') return;
    if (b.kind === 'pending-text') {
      if (delta.type !== 'text' || delta.text === '') return;
      b = this.openMessage(index, out);
    } else if (b.kind === 'pending-reasoning') {
      if (delta.type === 'signature') {
        b.signature += delta.signature;
        return;
      }
      if (delta.type !== 'thinking' || delta.text === '') return;
      b = this.openReasoning(index, b, out);
    }
    switch (delta.type) {
      case 'text':
        if (b.kind !== 'message' || delta.text === '') return;
        b.part.text += delta.text;
        this.emitTextDelta(out, b.item.id, b.outputIndex, delta.text);
        return;
      case 'thinking':
        if (b.kind !== 'reasoning' || delta.text === '') return;
        if (!b.partOpen) {
          b.partOpen = true;
          b.item.summary.push({ type: 'summary_text', text: '' });
          this.emit(out, {
            type: 'response.reasoning_summary_part.added',
            item_id: b.item.id,
            output_index: b.outputIndex,
            summary_index: 0,
            part: { type: 'summary_text', text: '' },
          });
        }
        b.text += delta.text;
        b.item.summary[0] = { type: 'summary_text', text: b.text };
        this.emit(out, {
          type: 'response.reasoning_summary_text.delta',
          item_id: b.item.id,
          output_index: b.outputIndex,
          summary_index: 0,
          delta: delta.text,
        });
        return;
      case 'signature':
        if (b.kind === 'reasoning') b.signature += delta.signature;
        return;
      case 'arguments':
        if (b.kind === 'function') {
          if (delta.json === '') return;
          b.item.arguments += delta.json;
          this.emit(out, {
            type: 'response.function_call_arguments.delta',
            item_id: b.item.id,
            output_index: b.outputIndex,
            delta: delta.json,
          });
        } else if (b.kind === 'custom' && b.extractor) {
          this.customDelta(b, b.extractor.push(delta.json), out);
        }
        return;
      case 'custom_input':
        if (b.kind === 'custom') this.customDelta(b, delta.text, out);
        return;
    }
  }

  private blockStop(index: number, out: ResponsesStreamEvent[]): void {
    let b = this.blocks.get(index);
    if (!b) return;
    // A thinking block with only a signature (Anthropic `display: omitted`) still needs its item for the replay.
    if (b.kind === 'pending-reasoning' && b.signature !== '') b = this.openReasoning(index, b, out);
    this.blocks.delete(index);
    switch (b.kind) {
      case 'closed':
      case 'pending-text':
      case 'pending-reasoning':
        return;
      case 'message':
        if (this.sink !== undefined) {
          this.messageDone(b);
          return;
        }
        this.emit(out, {
          type: 'response.output_text.done',
          item_id: b.item.id,
          output_index: b.outputIndex,
          content_index: 0,
          text: b.part.text,
          logprobs: [],
        });
        this.emit(out, {
          type: 'response.content_part.done',
          item_id: b.item.id,
          output_index: b.outputIndex,
          content_index: 0,
          part: this.carried(b.part),
        });
        b.item.status = 'completed';
        break;
      case 'reasoning':
        if (b.partOpen) {
          this.emit(out, {
            type: 'response.reasoning_summary_text.done',
            item_id: b.item.id,
            output_index: b.outputIndex,
            summary_index: 0,
            text: b.text,
          });
          this.emit(out, {
            type: 'response.reasoning_summary_part.done',
            item_id: b.item.id,
            output_index: b.outputIndex,
            summary_index: 0,
            part: { type: 'summary_text', text: b.text },
          });
        }
        if (b.signature !== '') {
          // OpenAI's own encrypted reasoning goes back as it came; other vendors' proofs are sealed with their origin.
          b.item.encrypted_content =
            b.origin === undefined || b.origin.provider === 'openai'
              ? b.signature
              : sealReasoning({ origin: b.origin, signature: b.signature });
        }
        break;
      case 'function':
        if (b.item.arguments === '') b.item.arguments = '{}';
        this.emit(out, {
          type: 'response.function_call_arguments.done',
          item_id: b.item.id,
          output_index: b.outputIndex,
          name: b.item.name,
          arguments: b.item.arguments,
        });
        b.item.status = 'completed';
        break;
      case 'custom':
        if (b.extractor) this.customDelta(b, b.extractor.end(), out);
        this.emit(out, {
          type: 'response.custom_tool_call_input.done',
          item_id: b.item.id,
          output_index: b.outputIndex,
          input: b.item.input,
        });
        b.item.status = 'completed';
        break;
    }
    this.itemDone(out, b.outputIndex, b.item);
  }

  /** `response.output_item.done`; with a `sink`, the item's JSON is kept for the response's `output`. */
  private itemDone(out: ResponsesStreamEvent[], outputIndex: number, item: ResponsesOutputItem): void {
    if (this.sink === undefined) {
      this.emit(out, { type: 'response.output_item.done', output_index: outputIndex, item: cloneJson(item) });
      return;
    }
    const json = JSON.stringify(item);
    this.itemJson[outputIndex] = json;
    this.emit(
      out,
      { type: 'response.output_item.done' },
      (seq) =>
        `{"type":"response.output_item.done","output_index":${outputIndex},"item":${json},"sequence_number":${seq}}`,
    );
  }

  /**
   * The three events that close a message, with a `sink`: the answer's text is serialized once for
   * all three (and for the response's `output`), where JSON.stringify of each event would write it
   * again. The templates give what JSON.stringify gives for the copying writer's events.
   */
  private messageDone(b: Extract<OpenBlock, { kind: 'message' }>): void {
    const sink = this.sink!;
    b.item.status = 'completed';
    const head = `"item_id":${jsonString(b.item.id)},"output_index":${b.outputIndex},"content_index":0`;
    const text = jsonString(b.part.text);
    const part = `{"type":"output_text","annotations":${JSON.stringify(b.part.annotations)},"logprobs":${JSON.stringify(b.part.logprobs)},"text":${text}}`;
    sink(
      'response.output_text.done',
      `{"type":"response.output_text.done",${head},"text":${text},"logprobs":[],"sequence_number":${this.seq++}}`,
    );
    sink(
      'response.content_part.done',
      `{"type":"response.content_part.done",${head},"part":${part},"sequence_number":${this.seq++}}`,
    );
    const item = `{"id":${jsonString(b.item.id)},"type":"message","status":"completed","content":[${part}],"role":"assistant"}`;
    this.itemJson[b.outputIndex] = item;
    sink(
      'response.output_item.done',
      `{"type":"response.output_item.done","output_index":${b.outputIndex},"item":${item},"sequence_number":${this.seq++}}`,
    );
  }
}

/** Serializes Responses events as SSE frames: an `event:` line plus `data:` with the same `type` inside. */
export const responsesSseEvents = (events: readonly ResponsesStreamEvent[]): SseEvent[] =>
  events.map((e) => jsonEvent(e, e.type));

/**
 * `StreamEncoder` (codec contract) over `ResponsesStreamWriter`, whose events it takes through the
 * writer's `sink` as JSON text. `push` and `end` give SSE events; `beginText`, `pushText` and `endText`
 * give the same frames as text, ready for the socket (JSON has no raw line break, so each frame is one
 * `event:` and one `data:` line).
 */
export class ResponsesStreamEncoder implements StreamEncoder {
  readonly writer: ResponsesStreamWriter;
  /** Where the sink puts events while `push` or `end` runs; null: frames go to `text`. */
  private events: SseEvent[] | null = null;
  private text = '';

  constructor(opts: ResponsesEncodeOptions = {}) {
    this.writer = new ResponsesStreamWriter(opts, (type, json) => {
      if (this.events !== null) this.events.push({ event: type, data: json });
      else this.text += `event: ${type}\ndata: ${json}\n\n`;
    });
  }

  /** `response.created` and `response.in_progress` now (see `ResponsesStreamWriter.begin`). */
  begin(): SseEvent[] {
    return this.collect(() => this.writer.begin());
  }

  push(event: IrStreamEvent): SseEvent[] {
    return this.collect(() => this.writer.push(event));
  }

  end(): SseEvent[] {
    return this.collect(() => this.writer.end());
  }

  /** `begin`, as SSE text. */
  beginText(): string {
    this.writer.begin();
    return this.take();
  }

  pushText(event: IrStreamEvent): string {
    this.writer.push(event);
    return this.take();
  }

  endText(): string {
    this.writer.end();
    return this.take();
  }

  private collect(run: () => void): SseEvent[] {
    const events: SseEvent[] = (this.events = []);
    try {
      run();
    } finally {
      this.events = null;
    }
    return events;
  }

  private take(): string {
    const text = this.text;
    this.text = '';
    return text;
  }
}
