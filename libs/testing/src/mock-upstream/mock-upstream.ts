import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { anthropicRenderer } from './anthropic.renderer';
import { geminiErrorBody, geminiRenderer } from './gemini.renderer';
import { mockIds } from './mock-ids';
import type {
  MockEndpoint,
  MockError,
  MockMatch,
  MockProtocol,
  MockScriptStep,
  MockTurn,
  MockUpstreamOptions,
  RecordedRequest,
} from './mock-upstream.types';
import { openaiChatRenderer } from './openai-chat.renderer';
import { openaiResponsesRenderer } from './openai-responses.renderer';
import type { ProtocolRenderer, RenderContext } from './render-context';
import {
  embeddingInputs,
  estimateRequestTokens,
  float32Base64,
  hashEmbedding,
  isRecord,
  lastUserText,
  routeOf,
  type Route,
} from './request-inspect';
import { resolveTurn } from './resolved-turn';

const RENDERERS: Record<MockProtocol, ProtocolRenderer> = {
  'openai-chat': openaiChatRenderer,
  'openai-responses': openaiResponsesRenderer,
  anthropic: anthropicRenderer,
  gemini: geminiRenderer,
};

const DEFAULT_MODELS = [
  'gpt-4o-mini',
  'gpt-5.5',
  'claude-sonnet-4-5',
  'gemini-2.5-flash',
  'text-embedding-3-small',
];

/** What gets written: a status, headers, and the body as one JSON frame or as SSE frames. */
interface Rendition {
  status: number;
  headers: Record<string, string>;
  frames: string[];
  streaming: boolean;
}

interface Timing {
  firstByteDelayMs: number;
  chunkDelayMs: number;
  dropAfterFrames: number | undefined;
}

interface PreparedAnswer {
  rendition: Rendition;
  timing: Timing;
  /** Frames joined once, for answers written in one go. */
  joined: Buffer;
}

interface QueueEntry {
  match: MockMatch;
  step: MockScriptStep;
}

function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function timingOf(turn: MockTurn | undefined): Timing {
  return {
    firstByteDelayMs: turn?.firstByteDelayMs ?? 0,
    chunkDelayMs: turn?.chunkDelayMs ?? 0,
    dropAfterFrames: turn?.dropAfterFrames,
  };
}

/**
 * A scripted stand-in for the OpenAI, Anthropic and Gemini APIs, for end-to-end tests and benchmarks.
 * See README.md beside this file.
 */
export class MockUpstream {
  /** Every request received, oldest first (nothing in `fixed` mode). */
  readonly requests: RecordedRequest[] = [];

  private readonly queue: QueueEntry[] = [];
  private responder: ((request: RecordedRequest) => MockTurn | Promise<MockTurn>) | undefined;
  private readonly events = new EventEmitter();
  private readonly fixedCache = new Map<string, PreparedAnswer>();
  private seq = 0;
  private served = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: MockUpstreamOptions,
  ) {
    this.events.setMaxListeners(0);
  }

  /** Start listening on 127.0.0.1 (an ephemeral port unless `options.port` is set). */
  static async start(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
    const server = createServer();
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const mock = new MockUpstream(server, `http://127.0.0.1:${port}`, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      mock.handle(req, res).catch((error: unknown) => {
        process.stderr.write(`mock upstream: failed to answer ${req.method} ${req.url}: ${String(error)}\n`);
        // A bug in the mock must fail the test loudly rather than hang it.
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`mock upstream failure: ${String(error)}`);
        } else {
          res.destroy();
        }
      });
    });
    return mock;
  }

  /** Stop listening and cut every open connection. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- scripting ----------------------------------------------------------------------------------

  /** Queue steps that answer the next generate requests, whatever their protocol or model. */
  enqueue(...steps: MockScriptStep[]): this {
    return this.enqueueFor({}, ...steps);
  }

  /** Queue steps that answer only requests matching `match` (protocol, model, endpoint). */
  enqueueFor(match: MockMatch, ...steps: MockScriptStep[]): this {
    for (const step of steps) this.queue.push({ match, step });
    return this;
  }

  /**
   * Decide every answer in code once the queue has nothing for a request (replaces the default echo).
   * Pass undefined to restore the echo.
   */
  respondWith(responder: ((request: RecordedRequest) => MockTurn | Promise<MockTurn>) | undefined): this {
    this.responder = responder;
    return this;
  }

  /** Requests answered so far, counted in fixed mode too (where nothing is recorded). */
  get servedCount(): number {
    return this.served;
  }

  /** Steps still queued. */
  pendingSteps(): number {
    return this.queue.length;
  }

  /** Forget the queue, the responder and the recorded requests. */
  reset(): void {
    this.queue.length = 0;
    this.responder = undefined;
    this.requests.length = 0;
  }

  // ---- recording ----------------------------------------------------------------------------------

  lastRequest(): RecordedRequest | undefined {
    return this.requests[this.requests.length - 1];
  }

  /** Recorded requests whose path starts with `pathPrefix`. */
  requestsTo(pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(pathPrefix));
  }

  /**
   * The first recorded request (past or future) that satisfies `predicate`, re-checked whenever a request
   * arrives or an answer ends. Rejects after `timeoutMs`.
   */
  waitFor(predicate: (request: RecordedRequest) => boolean, timeoutMs = 10_000): Promise<RecordedRequest> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.requests.find(predicate);
        if (found === undefined) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`mock upstream: no matching request within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.events.off('update', onUpdate);
      };
      const onUpdate = (): void => {
        check();
      };
      this.events.on('update', onUpdate);
      check();
    });
  }

  /** The next request to arrive after this call (optionally only under `pathPrefix`). */
  nextRequest(pathPrefix = '', timeoutMs = 10_000): Promise<RecordedRequest> {
    const after = this.seq;
    return this.waitFor((r) => r.seq > after && r.path.startsWith(pathPrefix), timeoutMs);
  }

  /** Resolves once the answer to `request` has ended (completed, dropped, or closed by the client). */
  async finished(request: RecordedRequest, timeoutMs = 10_000): Promise<RecordedRequest> {
    return this.waitFor((r) => r === request && r.outcome !== undefined, timeoutMs);
  }

  // ---- serving ------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAtMs = nowMs();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://mock');
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams.entries());
    this.served++;
    const rawBody = await readBody(req);
    let body: unknown;
    let malformed = false;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        malformed = true;
      }
    }
    const route = routeOf(method, path, req.headers);
    const bodyObject = isRecord(body) ? body : {};
    const model = route?.pathModel ?? (typeof bodyObject.model === 'string' ? bodyObject.model : undefined);
    const stream = route?.geminiMethod === 'streamGenerateContent' || bodyObject.stream === true;

    if (this.options.fixed !== undefined && route !== undefined && !malformed) {
      return this.serveFixed(res, route, model ?? 'mock-model', stream, bodyObject, query, req.headers);
    }

    const record: RecordedRequest = {
      seq: ++this.seq,
      method,
      path,
      query,
      headers: req.headers,
      body,
      rawBody,
      protocol: route?.protocol,
      endpoint: route?.endpoint,
      model,
      stream,
      receivedAtMs,
      writes: [],
      status: undefined,
      finishedAtMs: undefined,
      outcome: undefined,
      turn: undefined,
    };
    this.requests.push(record);
    const limit = this.options.maxRecordedRequests ?? 10_000;
    if (this.requests.length > limit) this.requests.splice(0, this.requests.length - limit);
    this.events.emit('update');

    const answer = await this.answer(record, route, bodyObject, malformed, query, req.headers);
    await this.write(res, record, answer);
  }

  /** Decide and render the answer to a recorded request. */
  private async answer(
    record: RecordedRequest,
    route: Route | undefined,
    body: Record<string, unknown>,
    malformed: boolean,
    query: Record<string, string>,
    headers: IncomingMessage['headers'],
  ): Promise<PreparedAnswer> {
    const protocol: MockProtocol =
      route?.protocol ?? (record.path.startsWith('/v1beta') ? 'gemini' : 'openai-chat');
    const ctx = this.context(protocol, record.model ?? 'mock-model', body);
    if (route === undefined) {
      return prepare(
        this.errorRendition(protocol, ctx, {
          status: 404,
          message: `Unknown path ${record.method} ${record.path}`,
          code: 'not_found',
        }),
        undefined,
      );
    }
    const authError = this.checkAuth(protocol, headers, query);
    if (authError !== undefined) return prepare(this.errorRendition(protocol, ctx, authError), undefined);
    if (
      protocol === 'anthropic' &&
      this.options.requireAnthropicVersion === true &&
      headers['anthropic-version'] === undefined
    ) {
      return prepare(
        this.errorRendition(protocol, ctx, { status: 400, message: 'anthropic-version: header is required' }),
        undefined,
      );
    }
    if (malformed) {
      return prepare(
        this.errorRendition(protocol, ctx, {
          status: 400,
          message: 'We could not parse the JSON body of your request.',
        }),
        undefined,
      );
    }

    const turn = await this.nextTurn(record, route.endpoint);
    record.turn = turn;
    return prepare(this.render(route, ctx, turn, record.stream, record.query), turn);
  }

  private async nextTurn(record: RecordedRequest, endpoint: MockEndpoint): Promise<MockTurn> {
    const index = this.queue.findIndex(({ match }) => {
      if ((match.endpoint ?? 'generate') !== endpoint) return false;
      if (match.protocol !== undefined && match.protocol !== record.protocol) return false;
      if (match.model !== undefined && match.model !== record.model) return false;
      return true;
    });
    if (index >= 0) {
      const [entry] = this.queue.splice(index, 1);
      const step = entry!.step;
      return typeof step === 'function' ? step(record) : step;
    }
    if (endpoint === 'generate' && this.responder !== undefined) return this.responder(record);
    return {};
  }

  private context(protocol: MockProtocol, model: string, body: Record<string, unknown>): RenderContext {
    const streamOptions = body.stream_options;
    return {
      model,
      body,
      includeUsage:
        protocol === 'openai-chat' && isRecord(streamOptions) && streamOptions.include_usage === true,
      nowSec: Math.floor(Date.now() / 1000),
      requestId: protocol === 'anthropic' ? mockIds.anthropicRequest() : mockIds.openaiRequest(),
    };
  }

  private render(
    route: Route,
    baseCtx: RenderContext,
    turn: MockTurn,
    stream: boolean,
    query: Record<string, string>,
  ): Rendition {
    const ctx = turn.model === undefined ? baseCtx : { ...baseCtx, model: turn.model };
    const renderer = RENDERERS[route.protocol];
    const error = turn.error;
    const streaming = stream && route.endpoint === 'generate';
    if (error !== undefined && !(error.midStream === true && streaming))
      return this.errorRendition(route.protocol, ctx, error, turn.headers);

    const headers = { ...renderer.headers(ctx), ...turn.headers };
    switch (route.endpoint) {
      case 'generate': {
        const defaultText = lastUserText(route.protocol, ctx.body) ?? 'ok';
        const resolved = resolveTurn(turn, defaultText, estimateRequestTokens(ctx.body));
        if (!streaming) return jsonRendition(route.protocol, 200, headers, renderer.json(resolved, ctx));
        // Gemini only streams as SSE with alt=sse; without it the answer is one JSON array.
        if (route.protocol === 'gemini' && query.alt !== 'sse') {
          return jsonRendition(route.protocol, 200, headers, [renderer.json(resolved, ctx)]);
        }
        const { frames, keepBeforeError } = renderer.stream(resolved, ctx);
        const sent =
          error === undefined
            ? frames
            : [...frames.slice(0, keepBeforeError), ...renderer.streamError(error, ctx, keepBeforeError)];
        return {
          status: 200,
          headers: { ...sseHeaders(route.protocol), ...headers },
          frames: sent,
          streaming: true,
        };
      }
      case 'embeddings':
        return jsonRendition(route.protocol, 200, headers, this.embeddingsBody(route, ctx, turn));
      case 'count-tokens': {
        const count = turn.tokenCount ?? Math.max(1, estimateRequestTokens(ctx.body));
        const bodyOut =
          route.protocol === 'gemini'
            ? { totalTokens: count, promptTokensDetails: [{ modality: 'TEXT', tokenCount: count }] }
            : { input_tokens: count };
        return jsonRendition(route.protocol, 200, headers, bodyOut);
      }
      case 'models':
        return jsonRendition(route.protocol, 200, headers, this.modelsBody(route.protocol));
    }
  }

  private embeddingsBody(route: Route, ctx: RenderContext, turn: MockTurn): unknown {
    const body = ctx.body;
    const vector = (text: string, dims: unknown): number[] =>
      turn.embedding ??
      hashEmbedding(
        text,
        typeof dims === 'number' && dims > 0 ? dims : (this.options.embeddingDimensions ?? 16),
      );
    if (route.protocol === 'gemini') {
      const textOf = (content: unknown): string =>
        isRecord(content) && Array.isArray(content.parts)
          ? content.parts.map((p) => (isRecord(p) && typeof p.text === 'string' ? p.text : '')).join('')
          : '';
      if (route.geminiMethod === 'batchEmbedContents') {
        const requests = Array.isArray(body.requests) ? body.requests.filter(isRecord) : [];
        return {
          embeddings: requests.map((r) => ({ values: vector(textOf(r.content), r.outputDimensionality) })),
        };
      }
      return { embedding: { values: vector(textOf(body.content), body.outputDimensionality) } };
    }
    const inputs = embeddingInputs(body.input);
    const base64 = body.encoding_format === 'base64';
    const tokens = inputs.reduce((sum, text) => sum + Math.max(1, estimateRequestTokens(text)), 0);
    return {
      object: 'list',
      data: inputs.map((text, index) => {
        const values = vector(text, body.dimensions);
        return { object: 'embedding', index, embedding: base64 ? float32Base64(values) : values };
      }),
      model: ctx.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }

  private modelsBody(protocol: MockProtocol): unknown {
    const models = this.options.models ?? DEFAULT_MODELS;
    const created = 1_700_000_000;
    switch (protocol) {
      case 'anthropic':
        return {
          data: models.map((id) => ({
            type: 'model',
            id,
            display_name: id,
            created_at: '2025-01-01T00:00:00Z',
          })),
          has_more: false,
          first_id: models[0] ?? null,
          last_id: models[models.length - 1] ?? null,
        };
      case 'gemini':
        return {
          models: models.map((id) => ({
            name: `models/${id}`,
            displayName: id,
            supportedGenerationMethods: ['generateContent', 'countTokens', 'embedContent'],
          })),
        };
      case 'openai-chat':
      case 'openai-responses':
        return {
          object: 'list',
          data: models.map((id) => ({ id, object: 'model', created, owned_by: 'mock' })),
        };
    }
  }

  private errorRendition(
    protocol: MockProtocol,
    ctx: RenderContext,
    error: MockError,
    extraHeaders?: Record<string, string>,
  ): Rendition {
    const renderer = RENDERERS[protocol];
    const headers: Record<string, string> = { ...renderer.headers(ctx), ...extraHeaders };
    if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
    const body = error.body !== undefined ? error.body : renderer.errorBody(error, ctx);
    return jsonRendition(protocol, error.status, headers, body);
  }

  /** The providers' own key checks, when a key is configured for that provider. */
  private checkAuth(
    protocol: MockProtocol,
    headers: IncomingMessage['headers'],
    query: Record<string, string>,
  ): MockError | undefined {
    const keys = this.options.keys;
    const authorization = firstHeader(headers.authorization);
    const bearer =
      authorization?.startsWith('Bearer ') === true ? authorization.slice('Bearer '.length) : undefined;
    switch (protocol) {
      case 'openai-chat':
      case 'openai-responses': {
        if (keys?.openai === undefined || bearer === keys.openai) return undefined;
        return bearer === undefined
          ? {
              status: 401,
              message:
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
              code: null,
            }
          : {
              status: 401,
              message: `Incorrect API key provided: ${maskKey(bearer)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            };
      }
      case 'anthropic': {
        if (keys?.anthropic === undefined) return undefined;
        // The API takes x-api-key; Bearer is how the SDK sends OAuth-style tokens, accepted alike here.
        const given = firstHeader(headers['x-api-key']) ?? bearer;
        if (given === keys.anthropic) return undefined;
        return {
          status: 401,
          message: given === undefined ? 'x-api-key header is required' : 'invalid x-api-key',
        };
      }
      case 'gemini': {
        if (keys?.gemini === undefined) return undefined;
        const given = firstHeader(headers['x-goog-api-key']) ?? query.key;
        if (given === keys.gemini) return undefined;
        // Google answers a wrong key with 400 API_KEY_INVALID and a missing one with 403, not 401.
        if (given === undefined) {
          return {
            status: 403,
            message:
              "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
          };
        }
        const body = geminiErrorBody(
          { status: 400, message: 'API key not valid. Please pass a valid API key.' },
          '',
        );
        body.error.details = [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'API_KEY_INVALID',
            domain: 'googleapis.com',
            metadata: { service: 'generativelanguage.googleapis.com' },
          },
        ];
        return { status: 400, body };
      }
    }
  }

  private serveFixed(
    res: ServerResponse,
    route: Route,
    model: string,
    stream: boolean,
    body: Record<string, unknown>,
    query: Record<string, string>,
    headers: IncomingMessage['headers'],
  ): Promise<void> {
    const streamOptions = body.stream_options;
    const includeUsage = isRecord(streamOptions) && streamOptions.include_usage === true;
    const key = `${route.protocol}|${route.endpoint}|${route.geminiMethod ?? ''}|${stream}|${includeUsage}|${query.alt ?? ''}|${model}`;
    const authError = this.checkAuth(route.protocol, headers, query);
    if (authError !== undefined) {
      const ctx = this.context(route.protocol, model, body);
      return this.write(
        res,
        undefined,
        prepare(this.errorRendition(route.protocol, ctx, authError), undefined),
      );
    }
    let prepared = this.fixedCache.get(key);
    if (prepared === undefined) {
      const turn = this.options.fixed!;
      const ctx = this.context(route.protocol, model, body);
      prepared = prepare(this.render(route, ctx, turn, stream, query), turn);
      this.fixedCache.set(key, prepared);
    }
    return this.write(res, undefined, prepared);
  }

  private async write(
    res: ServerResponse,
    record: RecordedRequest | undefined,
    answer: PreparedAnswer,
  ): Promise<void> {
    const { rendition, timing } = answer;
    let clientClosed = false;
    let closedAtMs: number | undefined;
    res.on('close', () => {
      if (res.writableFinished) return;
      clientClosed = true;
      closedAtMs = nowMs();
    });
    const finish = (outcome: RecordedRequest['outcome']): void => {
      if (record === undefined) return;
      record.finishedAtMs = outcome === 'client-closed' ? (closedAtMs ?? nowMs()) : nowMs();
      record.outcome = outcome;
      this.events.emit('update');
    };
    const recordWrite = (data: string): void => {
      record?.writes.push({ atMs: nowMs(), data });
    };
    if (record !== undefined) record.status = rendition.status;

    if (timing.firstByteDelayMs > 0) await sleep(timing.firstByteDelayMs);
    if (clientClosed || res.destroyed) return finish('client-closed');

    const drop = timing.dropAfterFrames;
    if (!rendition.streaming) {
      const bodyBytes = answer.joined;
      res.writeHead(rendition.status, { ...rendition.headers, 'content-length': String(bodyBytes.length) });
      if (drop !== undefined) {
        // Half a body, then the connection dies: the client sees a truncated response.
        const half = bodyBytes.subarray(0, Math.floor(bodyBytes.length / 2));
        res.write(half);
        recordWrite(half.toString('utf8'));
        await sleep(5);
        res.destroy();
        return finish('dropped');
      }
      recordWrite(rendition.frames[0] ?? '');
      await endResponse(res, bodyBytes);
      return finish('completed');
    }

    res.writeHead(rendition.status, rendition.headers);
    if (timing.chunkDelayMs === 0 && drop === undefined) {
      for (const frame of rendition.frames) recordWrite(frame);
      await endResponse(res, answer.joined);
      return finish(clientClosed ? 'client-closed' : 'completed');
    }
    for (let i = 0; i < rendition.frames.length; i++) {
      if (drop !== undefined && i >= drop) {
        await sleep(5);
        res.destroy();
        return finish('dropped');
      }
      if (i > 0 && timing.chunkDelayMs > 0) await sleep(timing.chunkDelayMs);
      if (clientClosed || res.destroyed) return finish('client-closed');
      const frame = rendition.frames[i]!;
      recordWrite(frame);
      if (!res.write(frame))
        await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
    }
    await endResponse(res);
    finish(clientClosed ? 'client-closed' : 'completed');
  }
}

function prepare(rendition: Rendition, turn: MockTurn | undefined): PreparedAnswer {
  return { rendition, timing: timingOf(turn), joined: Buffer.from(rendition.frames.join(''), 'utf8') };
}

function jsonRendition(
  protocol: MockProtocol,
  status: number,
  headers: Record<string, string>,
  body: unknown,
): Rendition {
  const contentType = protocol === 'gemini' ? 'application/json; charset=UTF-8' : 'application/json';
  return {
    status,
    headers: { 'content-type': contentType, ...headers },
    frames: [JSON.stringify(body)],
    streaming: false,
  };
}

function sseHeaders(protocol: MockProtocol): Record<string, string> {
  return {
    'content-type': protocol === 'gemini' ? 'text/event-stream' : 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  };
}

function endResponse(res: ServerResponse, data?: Buffer): Promise<void> {
  return new Promise((resolve) => {
    res.once('close', resolve);
    if (data === undefined) res.end(resolve);
    else res.end(data, resolve);
  });
}

function maskKey(key: string): string {
  return key.length <= 8
    ? '*'.repeat(key.length)
    : `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const encoding = firstHeader(req.headers['content-encoding'])?.toLowerCase();
  let source: NodeJS.ReadableStream = req;
  if (encoding === 'gzip') source = req.pipe(createGunzip());
  else if (encoding === 'deflate') source = req.pipe(createInflate());
  else if (encoding === 'br') source = req.pipe(createBrotliDecompress());
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}
