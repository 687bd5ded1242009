import { Inject, Injectable } from '@nestjs/common';
import type { GatewayReply, GatewayRequest } from '../common/exchange';
import { performance } from 'node:perf_hooks';
import type { ProviderConfig } from '@sluice/config';
import {
  getCodec,
  inlineRemoteMedia,
  OpenAiUsageChunkFilter,
  ProtocolError,
  serializeSseEvent,
  SseParser,
  type IrRequest,
  type IrStreamEvent,
  type ProtocolId,
  type StreamDecoder,
  type ToolNameMap,
} from '@sluice/protocols';
import { GatewayError } from '../common/gateway-error';
import { BudgetEnforcer } from '../budget/budget-enforcer.service';
import { budgetCutFrames, streamedChars } from '../budget/stream-cut';
import { endSseWith, flushSseHead, writeSse, writeSseHead } from '../common/sse';
import { GATEWAY_RUNTIME, type GatewayRuntime } from '../gateway.runtime';
import { FirewallService } from '../firewall/firewall.service';
import { AnswerCollector, answerText, IrStreamRestorer, restoreResponse } from '../firewall/restore';
import { loopbackResponse, loopbackStream } from '../providers/loopback.provider';
import { enforceDuplicateGuard } from './duplicate-tool-guard';
import { ModelRouter, type Route } from '../routing/model-router.service';
import { protocolOfProvider, upstreamTarget } from '../upstream/provider-target';
import { callWithRetries, firstHeader, type Attempt } from '../upstream/call-with-retries';
import { Cancellation, type AbortLike } from '../upstream/cancellation';
import { readUpstreamJson, recordUsage } from '../upstream/upstream-body';
import { UpstreamClient, type UpstreamReply } from '../upstream/upstream-client';
import { markFirstToken, noteAnswer, tapResponse } from '../usage/response-tap';

export type ClientProtocol = 'openai-chat' | 'anthropic' | 'gemini';

export type GenerateInput = {
  client: ClientProtocol;
  req: GatewayRequest;
  reply: GatewayReply;
  body: unknown;
  /** Gemini carries the model and streaming in the path. */
  pathModel?: string;
  pathStream?: boolean;
};

/** Everything a relay needs about the request it answers. */
type Relay = {
  client: ClientProtocol;
  target: ProtocolId;
  passthrough: boolean;
  prepared: Prepared;
  route: Route;
  req: GatewayRequest;
  reply: GatewayReply;
  /** Placeholder -> value, when the firewall redacted the request. */
  mapping: ReadonlyMap<string, string> | null;
};

/** A stream relay's work per upstream chunk, at the end, and when a budget cuts the stream. */
type RelaySteps = {
  chunk(bytes: Buffer): string | Buffer;
  end(): string | Buffer;
  cut(): string;
};

type Prepared = {
  body: string | Buffer;
  tools: ToolNameMap | undefined;
  dropUsageChunk: boolean;
  stream: boolean;
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function header(req: GatewayRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * The data plane's core: one client request, any client protocol, any provider. The provider is
 * chosen from the model; the client's protocol and the provider's then decide passthrough (body as
 * it came, bytes streamed back as they arrive) or translation (through libs/protocols, event by
 * event). Retries and fallback happen only before the first byte reaches the client.
 */
@Injectable()
export class ProxyService {
  constructor(
    @Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime,
    private readonly router: ModelRouter,
    private readonly upstream: UpstreamClient,
    private readonly firewall: FirewallService,
    private readonly budgets: BudgetEnforcer,
  ) {}

  async generate(input: GenerateInput): Promise<void> {
    const { client, req, reply, body } = input;
    const ctx = req.sluice;
    if (!isObject(body))
      throw new GatewayError(400, 'invalid_request', 'Request body must be a JSON object.');
    const model = input.pathModel ?? body['model'];
    if (typeof model !== 'string' || model.trim() === '')
      throw new GatewayError(400, 'invalid_request', "'model' is required.", 'model');
    ctx.modelRequested = model;
    const route = this.router.resolve(model);
    ctx.modelServed = route.served;
    // Options without conditional spreads (~100 ns each in V8, per request).
    const from: { model?: string; stream?: boolean } = {};
    if (input.pathModel !== undefined) from.model = input.pathModel;
    if (input.pathStream !== undefined) from.stream = input.pathStream;
    const ir = getCodec(client).decodeRequest(body, from);
    ctx.stream = ir.stream;
    tapResponse(req, reply, ir);
    if (ir.messages.length === 0) {
      const field = client === 'gemini' ? 'contents' : 'messages';
      throw new GatewayError(400, 'invalid_request', `'${field}' must contain at least one message.`, field);
    }
    const guarded = enforceDuplicateGuard(ir, this.rt.config.duplicateToolGuard, (v) =>
      this.rt.logger.warn(
        { requestId: req.id, action: v.action, repeats: v.repeats, tool: v.tool },
        'repeated tool call',
      ),
    );
    // Redaction rewrites the request; the mapping restores the answer for the client.
    const mapping = await this.firewall.inspectRequest(ir, req);
    const reencode = guarded || mapping !== null;
    // Hard budgets: refused here (429 insufficient_quota) before anything goes upstream.
    await this.budgets.admit(ctx, route.chain[0]?.name ?? '', route.served, body, req.rawBody?.length ?? 0);

    const abort = new Cancellation();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });

    let failure: ProtocolError | null = null;
    for (const provider of route.chain) {
      ctx.provider = provider.name;
      if (provider.family === 'loopback') {
        await this.serveLoopback(client, ir, route, req, reply, mapping);
        return;
      }
      const target = protocolOfProvider(provider.family)!;
      const passthrough = target === client;
      this.checkWorkMode(passthrough, client, provider);
      // A request the guard or the firewall changed is encoded from the IR, even to its own protocol.
      const prepared =
        passthrough && !reencode
          ? this.passthroughBody(client, body, req.rawBody, route, ir.stream)
          : await this.translatedBody(ir, client, target, route);
      const attempt = await this.callWithRetries(provider, target, prepared, route, req, abort);
      if (attempt.kind === 'ok') {
        ctx.providerRequestId = firstHeader(attempt.res.headers, ['x-request-id', 'request-id']) ?? null;
        const relay = { client, target, passthrough, prepared, route, req, reply, mapping };
        if (prepared.stream) await this.relayStream(attempt.res, relay);
        else await this.relayJson(attempt.res, relay);
        return;
      }
      failure = attempt.error;
      // A client error from the provider (bad request, auth) would fail on the next one too.
      if (!attempt.retryable) break;
    }
    throw failure ?? new GatewayError(502, 'internal_error', 'No provider could serve the request.');
  }

  private checkWorkMode(passthrough: boolean, client: ClientProtocol, provider: ProviderConfig): void {
    const mode = this.rt.config.routing.workMode;
    if (mode === 'passthrough' && !passthrough) {
      throw new GatewayError(
        400,
        'invalid_request',
        `Work mode is passthrough: a ${client} request cannot go to provider '${provider.name}' (${provider.family}) without translation.`,
      );
    }
    if (mode === 'translation' && passthrough) {
      throw new GatewayError(
        400,
        'invalid_request',
        `Work mode is translation: a ${client} request to provider '${provider.name}' would be pure passthrough.`,
      );
    }
  }

  /**
   * The body as it came: the client's own bytes when nothing needs changing. The model is renamed
   * when an alias routed it; OpenAI streams are asked for usage (`include_usage`), spliced into the
   * bytes when the client sent no `stream_options`, and that extra chunk is hidden on the way back.
   */
  private passthroughBody(
    client: ClientProtocol,
    body: Record<string, unknown>,
    raw: Buffer | undefined,
    route: Route,
    stream: boolean,
  ): Prepared {
    const so = isObject(body['stream_options']) ? body['stream_options'] : undefined;
    const askUsage = client === 'openai-chat' && stream && so?.['include_usage'] !== true;
    const renamed = client !== 'gemini' && body['model'] !== route.served;
    const prepared = { tools: undefined, dropUsageChunk: askUsage, stream };
    if (raw && !renamed && !askUsage) return { ...prepared, body: raw };
    if (raw && !renamed && body['stream_options'] === undefined) {
      const end = raw.lastIndexOf(0x7d); // the object's closing brace
      return {
        ...prepared,
        body: Buffer.concat([
          raw.subarray(0, end),
          Buffer.from(',"stream_options":{"include_usage":true}'),
          raw.subarray(end),
        ]),
      };
    }
    const out: Record<string, unknown> = client === 'gemini' ? body : { ...body, model: route.served };
    if (askUsage) out['stream_options'] = { ...so, include_usage: true };
    return { ...prepared, body: JSON.stringify(out) };
  }

  private async translatedBody(
    ir: IrRequest,
    client: ClientProtocol,
    target: ProtocolId,
    route: Route,
  ): Promise<Prepared> {
    // Gemini reads only its own file URIs: image URLs go inline when the operator allowed fetching.
    const source =
      target === 'gemini' && this.rt.config.fetchImageUrls
        ? await inlineRemoteMedia(ir, (url) => this.upstream.fetchImage(url))
        : ir;
    const encoded = getCodec(target).encodeRequest(source, { model: route.served });
    if (encoded.dropped.length > 0)
      this.rt.logger.debug(
        { from: client, to: target, dropped: encoded.dropped },
        'fields dropped in translation',
      );
    return {
      body: JSON.stringify(encoded.body),
      tools: encoded.tools,
      dropUsageChunk: false,
      stream: encoded.stream,
    };
  }

  private async callWithRetries(
    provider: ProviderConfig,
    target: ProtocolId,
    prepared: Prepared,
    route: Route,
    req: GatewayRequest,
    signal: AbortLike,
  ): Promise<Attempt> {
    const anthropicClient = req.sluice.protocol === 'anthropic';
    const { url, headers } = upstreamTarget(provider, {
      model: route.served,
      stream: prepared.stream,
      anthropicVersion: anthropicClient ? header(req, 'anthropic-version') : undefined,
      anthropicBeta: anthropicClient ? header(req, 'anthropic-beta') : undefined,
    });
    return callWithRetries({
      upstream: this.upstream,
      provider,
      target,
      url,
      headers,
      body: prepared.body,
      signal,
      logger: this.rt.logger,
    });
  }

  private async relayJson(res: UpstreamReply, r: Relay): Promise<void> {
    const { text, parsed } = await readUpstreamJson(res);
    const ir = getCodec(r.target).decodeResponse(parsed, decodeOptions(r));
    recordUsage(r.req.sluice, ir.usage);
    // What the provider wrote, before placeholders are turned back into the client's values.
    this.firewall.inspectResponse(noteAnswer(r.req.sluice, answerText(ir)), r.req);
    if (r.passthrough && !r.mapping) {
      await r.reply.status(200).header('content-type', 'application/json').send(text);
      return;
    }
    if (r.mapping) restoreResponse(ir, r.mapping);
    await r.reply.status(200).send(getCodec(r.client).encodeResponse(ir, { model: r.route.requested }));
  }

  private async relayStream(res: UpstreamReply, r: Relay): Promise<void> {
    const { req, reply } = r;
    reply.hijack();
    const out = reply.raw;
    // The provider's first chunk is here already: what it gives goes out in this turn, with the head.
    // True until the head has gone out with the first chunk's output or alone.
    let headWaits = res.body.pending;
    writeSseHead(out, headWaits);
    req.sluice.firstByteAt = performance.now();
    const answer = new AnswerCollector();
    const steps =
      r.passthrough && !r.mapping ? this.passthroughSteps(r, answer) : this.translationSteps(r, answer);
    // What goes out with the end of the response (one socket write for both).
    let last: (string | Buffer)[] = [];
    try {
      for await (const chunk of res.body) {
        const data = steps.chunk(chunk);
        if (req.sluice.budget?.cut) {
          last = [data, steps.cut()];
          return;
        }
        if (res.body.complete) {
          // The provider has finished: this chunk's output joins the end instead of a write of its own.
          last = [data];
          break;
        }
        // A first chunk that gave nothing to send (a partial event): the head goes out alone now,
        // as the timer writeSseHead did not arm would have sent it (once: later empty chunks write nothing).
        if (headWaits) {
          headWaits = false;
          if (data.length === 0 && !out.writableEnded) flushSseHead(out);
        }
        await writeSse(out, data);
      }
      last.push(steps.end());
    } catch (err) {
      if (!out.destroyed) {
        req.sluice.errorCode = 'upstream_stream_error';
        this.rt.logger.warn(
          { requestId: req.id, err: (err as Error).message },
          'upstream stream ended abnormally',
        );
      }
    } finally {
      endSseWith(out, last);
      // The answer's scan only records (for the usage event, written at close): after the write.
      this.firewall.inspectResponse(noteAnswer(req.sluice, answer.text()), req);
    }
  }

  /**
   * Passthrough: bytes go out as they arrive; a parallel parser and decoder read usage and the
   * answer on the way. When the gateway asked for the usage chunk, only that frame is cut out; the
   * rest keeps its bytes (no decode and re-encode).
   */
  private passthroughSteps(r: Relay, answer: AnswerCollector): RelaySteps {
    const { req } = r;
    const parser = new SseParser();
    const decoder = this.streamDecoder(r);
    const filter = r.prepared.dropUsageChunk ? new OpenAiUsageChunkFilter() : null;
    return {
      chunk: (bytes) => {
        for (const ev of parser.push(bytes)) this.observe(req, decoder.push(ev), answer);
        return filter ? filter.push(bytes) : bytes;
      },
      end: () => {
        for (const ev of parser.end()) this.observe(req, decoder.push(ev), answer);
        this.observe(req, decoder.end(), answer);
        return filter ? filter.end() : '';
      },
      cut: () => budgetCutFrames(req.sluice, r.client, r.route.requested),
    };
  }

  /** Translation, event by event: upstream SSE -> IR -> (placeholders restored) -> the client's SSE. */
  private translationSteps(r: Relay, answer: AnswerCollector): RelaySteps {
    const { req } = r;
    const parser = new SseParser();
    const decoder = this.streamDecoder(r);
    const encoder = getCodec(r.client).createStreamEncoder({
      model: r.route.requested,
      includeUsage:
        isObject(req.body) &&
        isObject(req.body['stream_options']) &&
        req.body['stream_options']['include_usage'] === true,
    });
    const restorer = r.mapping ? new IrStreamRestorer(r.mapping) : null;
    const encode = (ev: IrStreamEvent): string => {
      let s = '';
      for (const frame of encoder.push(ev)) s += serializeSseEvent(frame);
      return s;
    };
    const relay = (events: IrStreamEvent[]): string => {
      this.observe(req, events, answer);
      let s = '';
      for (const ev of restorer ? restorer.apply(events) : events) s += encode(ev);
      return s;
    };
    return {
      chunk: (bytes) => {
        let s = '';
        for (const ev of parser.push(bytes)) s += relay(decoder.push(ev));
        return s;
      },
      end: () => {
        let s = '';
        for (const ev of parser.end()) s += relay(decoder.push(ev));
        s += relay(decoder.end());
        for (const frame of encoder.end()) s += serializeSseEvent(frame);
        return s;
      },
      cut: () => budgetCutFrames(req.sluice, r.client, r.route.requested, encode),
    };
  }

  private streamDecoder(r: Relay): StreamDecoder {
    return getCodec(r.target).createStreamDecoder(decodeOptions(r));
  }

  private observe(req: GatewayRequest, events: readonly IrStreamEvent[], answer?: AnswerCollector): void {
    if (req.sluice.budget) this.budgets.onStreamed(req.sluice, streamedChars(events));
    answer?.add(events);
    for (const ev of events) {
      markFirstToken(req.sluice, ev);
      if ((ev.type === 'message_start' || ev.type === 'message_delta') && ev.usage)
        recordUsage(req.sluice, ev.usage);
      if (ev.type === 'error') req.sluice.errorCode = ev.error.code ?? ev.error.kind;
    }
  }

  private async serveLoopback(
    client: ClientProtocol,
    ir: IrRequest,
    route: Route,
    req: GatewayRequest,
    reply: GatewayReply,
    mapping: ReadonlyMap<string, string> | null,
  ): Promise<void> {
    const res = loopbackResponse(ir, req.id, Date.now());
    req.sluice.providerRequestId = res.id;
    const codec = getCodec(client);
    if (!ir.stream) {
      recordUsage(req.sluice, res.usage);
      this.firewall.inspectResponse(noteAnswer(req.sluice, answerText(res)), req);
      if (mapping) restoreResponse(res, mapping);
      await reply.status(200).send(codec.encodeResponse(res, { model: route.requested }));
      return;
    }
    reply.hijack();
    const out = reply.raw;
    // The loopback's events are all here: the first goes out in this turn.
    writeSseHead(out, true);
    req.sluice.firstByteAt = performance.now();
    const encoder = codec.createStreamEncoder({
      model: route.requested,
      includeUsage: ir.includeUsage === true,
    });
    this.firewall.inspectResponse(noteAnswer(req.sluice, answerText(res)), req);
    const restorer = mapping ? new IrStreamRestorer(mapping) : null;
    const events = loopbackStream(res);
    for (const ev of restorer ? restorer.apply(events) : events) {
      markFirstToken(req.sluice, ev);
      const frames = encoder.push(ev).map(serializeSseEvent).join('');
      if (frames !== '' && !out.write(frames))
        await new Promise<void>((r) => (out.once('drain', r), out.once('close', r)));
      if (out.destroyed) return;
    }
    recordUsage(req.sluice, res.usage);
    out.end(encoder.end().map(serializeSseEvent).join(''));
  }
}

/** How the provider's answer is decoded: the model served, and the tools when the request had any. */
function decodeOptions(r: Relay): { tools?: NonNullable<Relay['prepared']['tools']>; model: string } {
  return r.prepared.tools ? { tools: r.prepared.tools, model: r.route.served } : { model: r.route.served };
}
