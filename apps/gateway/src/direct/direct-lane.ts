import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parse as parseQueryString } from 'node:querystring';
import type { Logger } from '@sluice/observability';
import { uuidv7 } from '@sluice/events';
import type { DataPlaneGuard } from '../auth/data-plane.guard';
import type { GatewayReply, GatewayRequest } from '../common/exchange';
import type { Exchanges } from '../common/exchanges';
import { emptyBody, invalidJson, sendError, tooLarge } from '../common/error.filter';
import { GatewayError } from '../common/gateway-error';
import { protocolOf, type Protocol } from '../common/protocol';
import type { RequestContext } from '../common/request-context';
import type { DataPlaneHandler, DataPlaneHandlers } from './data-plane-handlers';

/**
 * The direct lane: the data-plane POST routes (chat completions, messages, responses, embeddings,
 * count_tokens, Gemini's models/{model}:{method}) served straight from node:http, without Fastify's
 * routing, hooks and body parsing nor Nest's router, guard and filter layers. Measured on this
 * machine, a Fastify route that reads a JSON body and answers costs about 50 µs of CPU more per
 * request than node:http doing the same (docs/benchmarks.md); the gateway's budget per request is
 * a few hundred.
 *
 * It does what those layers do for these routes, with the same code where there is code to share:
 * the request's life (common/exchanges.ts, also behind the Fastify hooks), the key check
 * (DataPlaneGuard.admit), the handlers (DataPlaneHandlers, also behind the controllers), the error
 * shapes (sendError, also behind the exception filter) and Fastify's own JSON body parser (same
 * limits, same prototype-poisoning refusal). It takes a request only when it can serve it whole:
 * a POST to one of its exact paths with a JSON content type, while the server is not closing.
 * Anything else (other methods and paths, other content types, a trailing slash, an encoded Gemini
 * target) goes to Fastify as before, so the answer to an unusual request is Fastify's.
 * `SLUICE_GATEWAY_DIRECT_LANE=off` sends everything to Fastify.
 */
export class DirectLane {
  private readonly routes: Map<string, { handler: DataPlaneHandler; protocol: Protocol }>;
  private closing = false;

  constructor(
    private readonly handlers: DataPlaneHandlers,
    private readonly guard: DataPlaneGuard,
    private readonly exchanges: Exchanges,
    private readonly logger: Logger,
    private readonly bodyLimit: number,
    /** Fastify's JSON parser (`getDefaultJsonParser('error', 'error')`), so both parse alike. */
    private readonly parseJson: (body: Buffer) => unknown,
  ) {
    const table: [string, DataPlaneHandler][] = [
      ['/v1/chat/completions', handlers.chatCompletions],
      ['/v1beta/openai/chat/completions', handlers.chatCompletions],
      ['/v1/messages', handlers.messages],
      ['/anthropic/v1/messages', handlers.messages],
      ['/v1/messages/count_tokens', handlers.countTokens],
      ['/anthropic/v1/messages/count_tokens', handlers.countTokens],
      ['/v1/responses', handlers.responses],
      ['/v1/embeddings', handlers.embeddings],
    ];
    this.routes = new Map(table.map(([path, handler]) => [path, { handler, protocol: protocolOf(path) }]));
  }

  /** From now on every request goes to Fastify, which answers 503 while the server closes. */
  close(): void {
    this.closing = true;
  }

  /** Serves the request and returns true, or returns false (and touches nothing) for Fastify to serve it. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || this.closing || !isJson(req.headers['content-type'])) return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const exact = this.routes.get(path);
    if (exact) {
      this.serve(req, res, url, q < 0 ? '' : url.slice(q + 1), path, exact.protocol, exact.handler);
      return true;
    }
    const gemini = this.geminiRoute(path);
    if (gemini === null) return false;
    this.serve(req, res, url, q < 0 ? '' : url.slice(q + 1), gemini.pattern, 'gemini', gemini.handler);
    return true;
  }

  private geminiRoute(path: string): { pattern: string; handler: DataPlaneHandler } | null {
    const prefix = GEMINI_PREFIXES.find((p) => path.startsWith(p));
    if (prefix === undefined) return null;
    const target = path.slice(prefix.length);
    // What Fastify's router would not take as one plain parameter stays with it.
    if (target === '' || target.includes('/') || target.includes('%')) return null;
    return {
      pattern: `${prefix}:target`,
      handler: (req, reply, body) => this.handlers.gemini(target, req, reply, body),
    };
  }

  private serve(
    raw: IncomingMessage,
    res: ServerResponse,
    url: string,
    query: string,
    pattern: string,
    protocol: Protocol,
    handler: DataPlaneHandler,
  ): void {
    const id = uuidv7();
    const ctx = this.exchanges.open('direct', id, url, 'POST', res, () => pattern, protocol);
    const req = new DirectRequest(raw, id, url, query, ctx);
    const reply = new DirectReply(res, ctx);
    const fail = (err: unknown): void => {
      try {
        sendError(err, req, reply, this.logger);
      } catch (renderErr) {
        // Nothing else can be said on this response; the usage event is still recorded at close.
        this.logger.error({ requestId: id, err: (renderErr as Error).message }, 'error response failed');
        res.destroy();
      }
    };
    this.readBody(raw, (err, body) => {
      if (err !== null) return fail(err);
      let parsed: unknown;
      try {
        parsed = this.parseJson(body);
      } catch {
        return fail(invalidJson());
      }
      req.rawBody = body;
      req.body = parsed;
      // One catch for the key check and the handler, whether it rejects or throws.
      this.guard
        .admit(req)
        .then(() => handler(req, reply, parsed))
        .catch(fail);
    });
  }

  /** Fastify's rules for a JSON body: the size limit up front and as it arrives, the length it announced. */
  private readBody(raw: IncomingMessage, done: (err: GatewayError | null, body: Buffer) => void): void {
    const limit = this.bodyLimit;
    const declared = Number(raw.headers['content-length']);
    if (declared > limit) return done(tooLarge(), EMPTY);
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limit) {
        stop();
        done(tooLarge(), EMPTY);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (err?: Error): void => {
      stop();
      if (err) return done(new GatewayError(400, 'invalid_request', 'The request could not be read.'), EMPTY);
      if (!Number.isNaN(declared) && received !== declared) return done(invalidJson(), EMPTY);
      if (received === 0) return done(emptyBody(), EMPTY);
      done(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    };
    const stop = (): void => {
      raw.removeListener('data', onData);
      raw.removeListener('end', onEnd);
      raw.removeListener('error', onEnd);
    };
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onEnd);
  }
}

const GEMINI_PREFIXES = ['/v1beta/models/', '/v1/models/'];
const EMPTY = Buffer.alloc(0);

/** `application/json`, with parameters or not: what Fastify's JSON parser takes. */
function isJson(type: string | undefined): boolean {
  if (type === undefined || type.length < 16) return false;
  if (type.length === 16) return type === 'application/json' || type.toLowerCase() === 'application/json';
  const next = type.charCodeAt(16);
  // `;` or a space (`application/json; charset=utf-8`)
  if (next !== 0x3b && next !== 0x20) return false;
  const head = type.slice(0, 16);
  return head === 'application/json' || head.toLowerCase() === 'application/json';
}

class DirectRequest implements GatewayRequest {
  readonly method = 'POST';
  body: unknown = undefined;
  rawBody: Buffer | undefined = undefined;
  private parsedQuery: unknown = undefined;

  constructor(
    private readonly raw: IncomingMessage,
    readonly id: string,
    readonly url: string,
    private readonly queryString: string,
    public sluice: RequestContext,
  ) {}

  get headers(): IncomingMessage['headers'] {
    return this.raw.headers;
  }

  get query(): unknown {
    this.parsedQuery ??= parseQueryString(this.queryString);
    return this.parsedQuery;
  }
}

/** Fastify's reply, as far as the data plane uses it: status, headers, send (string, Buffer or JSON), hijack. */
class DirectReply implements GatewayReply {
  private code = 200;
  private headers: Record<string, string> | null = null;
  private done = false;

  constructor(
    readonly raw: ServerResponse,
    private readonly ctx: RequestContext,
  ) {}

  get sent(): boolean {
    return this.done || this.raw.headersSent;
  }

  status(code: number): this {
    this.code = code;
    return this;
  }

  header(name: string, value: string): this {
    (this.headers ??= {})[name.toLowerCase()] = value;
    return this;
  }

  hijack(): this {
    this.done = true;
    return this;
  }

  send(payload: unknown): this {
    if (this.done) return this;
    this.done = true;
    let type = this.headers?.['content-type'];
    let body: string | Buffer;
    if (typeof payload === 'string') {
      body = payload;
      type ??= 'text/plain; charset=utf-8';
    } else if (Buffer.isBuffer(payload)) {
      body = payload;
      type ??= 'application/octet-stream';
    } else {
      body = JSON.stringify(payload) ?? '';
      type ??= 'application/json; charset=utf-8';
    }
    if (this.ctx.firstByteAt === null) this.ctx.firstByteAt = performance.now();
    const res = this.raw;
    if (res.destroyed) return this;
    res.statusCode = this.code;
    if (this.headers !== null) for (const name in this.headers) res.setHeader(name, this.headers[name]!);
    res.setHeader('content-type', type);
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(body);
    return this;
  }
}
