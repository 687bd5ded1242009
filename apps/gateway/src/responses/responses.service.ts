import { Inject, Injectable } from '@nestjs/common';
import type { GatewayReply, GatewayRequest } from '../common/exchange';
import { performance } from 'node:perf_hooks';
import type { ProviderConfig } from '@sluice/config';
import {
  decodeResponsesRequest,
  encodeResponsesResponse,
  expandPreviousResponse,
  extractResponsesOutcome,
  getCodec,
  outcomeFromResponse,
  ProtocolError,
  ResponsesStreamEncoder,
  SseParser,
  inputItemsOf,
  type IrStreamEvent,
  type ProtocolId,
  type ResponsesDecoded,
  type ResponsesEncodeOptions,
  type ResponsesResponse,
  type SseEvent,
  type ToolNameMap,
} from '@sluice/protocols';
import type { ServerResponse } from 'node:http';
import { GatewayError } from '../common/gateway-error';
import { BudgetEnforcer } from '../budget/budget-enforcer.service';
import { budgetCutFrames, responsesBudgetCutFrame, streamedChars } from '../budget/stream-cut';
import type { RequestContext } from '../common/request-context';
import { endSseWith, writeSse, writeSseHead } from '../common/sse';
import { GATEWAY_RUNTIME, type GatewayRuntime } from '../gateway.runtime';
import { readUpstreamJson, recordUsage } from '../upstream/upstream-body';
import { FirewallService } from '../firewall/firewall.service';
import { AnswerCollector, answerText, IrStreamRestorer, restoreResponse } from '../firewall/restore';
import { enforceDuplicateGuard } from '../proxy/duplicate-tool-guard';
import { loopbackResponse, loopbackStream } from '../providers/loopback.provider';
import { ModelRouter, type Route } from '../routing/model-router.service';
import { callWithRetries, firstHeader } from '../upstream/call-with-retries';
import { upstreamTarget } from '../upstream/provider-target';
import { Cancellation } from '../upstream/cancellation';
import { UpstreamClient, type UpstreamReply } from '../upstream/upstream-client';
import { ResponsesStore } from './responses-store.service';
import * as tap from '../usage/response-tap';

type Obj = Record<string, unknown>;

/** The client's request, decoded once for every translated attempt (and the loopback). */
type Translation = {
  decoded: ResponsesDecoded;
  /** The body with `previous_response_id` expanded: what a stored turn records as input. */
  expanded: Obj;
  /** A `previous_response_id` this gateway did not store: the provider's own (passthrough only). */
  upstreamPrevious?: string;
};

type Prepared = {
  target: ProtocolId;
  passthrough: boolean;
  body: string;
  stream: boolean;
  tools: ToolNameMap | undefined;
};

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `POST /v1/responses` on any provider. OpenAI providers get the body as it came (model renamed to
 * the routed name) and their events are piped as they arrive, usage read on the side; a
 * `previous_response_id` is then the provider's business. Anthropic, Gemini and OpenAI-compatible
 * providers listed in `SLUICE_RESPONSES_VIA_CHAT` get the request translated from the full input
 * (a `previous_response_id` is expanded from the gateway's store), and their answer turned into the
 * Responses object or event sequence; that answer is stored for the team unless `store: false`.
 */
@Injectable()
export class ResponsesService {
  constructor(
    @Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime,
    private readonly router: ModelRouter,
    private readonly upstream: UpstreamClient,
    private readonly store: ResponsesStore,
    private readonly firewall: FirewallService,
    private readonly budgets: BudgetEnforcer,
  ) {}

  async create(req: GatewayRequest, reply: GatewayReply, body: unknown): Promise<void> {
    const ctx = req.sluice;
    if (!isObject(body))
      throw new GatewayError(400, 'invalid_request', 'Request body must be a JSON object.');
    const model = body['model'];
    if (typeof model !== 'string' || model.trim() === '')
      throw new GatewayError(400, 'invalid_request', "Missing required parameter: 'model'.", 'model');
    ctx.modelRequested = model;
    const route = this.router.resolve(model);
    ctx.modelServed = route.served;
    ctx.stream = body['stream'] === true;
    tap.tapResponse(req, reply, tap.responsesInput(body));

    const abort = new Cancellation();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });

    // The guard and the firewall read the decoded request, so they decode even a passthrough;
    // when either changes it, it is encoded from the IR, even to a Responses upstream.
    let translation: Translation | null = null;
    let mapping: ReadonlyMap<string, string> | null = null;
    let rewritten = false;
    if (this.rt.config.duplicateToolGuard || this.firewall.enabledFor(req)) {
      translation = await this.translate(req, body, true);
      const ir = translation.decoded.ir;
      rewritten = enforceDuplicateGuard(ir, this.rt.config.duplicateToolGuard, (v) =>
        this.rt.logger.warn(
          { requestId: req.id, action: v.action, repeats: v.repeats, tool: v.tool },
          'repeated tool call',
        ),
      );
      mapping = await this.firewall.inspectRequest(ir, req);
      rewritten ||= mapping !== null;
    }
    // Hard budgets: refused here (429 insufficient_quota) before anything goes upstream.
    await this.budgets.admit(ctx, route.chain[0]?.name ?? '', route.served, body, req.rawBody?.length ?? 0);
    let failure: ProtocolError | null = null;
    for (const provider of route.chain) {
      ctx.provider = provider.name;
      const target = this.targetOf(provider);
      if (target === null) {
        translation ??= await this.translate(req, body);
        await this.serveLoopback(translation, body, route, req, reply, mapping);
        return;
      }
      // A passthrough sends the body as it came; translation decodes once for the whole chain.
      const passthrough = target === 'openai-responses' && !rewritten;
      // A previous response the provider owns cannot be expanded for another protocol: 400 here.
      if (!passthrough && (!translation || (translation.upstreamPrevious && target !== 'openai-responses'))) {
        translation = await this.translate(req, body);
      }
      this.checkWorkMode(target === 'openai-responses', provider);
      const prepared = passthrough
        ? this.passthroughBody(body, route)
        : this.translatedBody(translation!, target, route);
      const { url, headers } = upstreamTarget(provider, {
        model: route.served,
        stream: prepared.stream,
        operation: target === 'openai-responses' ? 'responses' : 'generate',
      });
      const attempt = await callWithRetries({
        upstream: this.upstream,
        provider,
        target,
        url,
        headers,
        body: prepared.body,
        signal: abort,
        logger: this.rt.logger,
      });
      if (attempt.kind === 'ok') {
        ctx.providerRequestId = firstHeader(attempt.res.headers, ['x-request-id', 'request-id']) ?? null;
        if (passthrough) {
          if (prepared.stream) await this.pipeStream(attempt.res, req, reply);
          else await this.pipeJson(attempt.res, req, reply);
        } else {
          const opts = this.encodeOptions(translation!, body, route, provider);
          if (prepared.stream)
            await this.translateStream(attempt.res, prepared, opts, translation!, route, req, reply, mapping);
          else
            await this.translateJson(attempt.res, prepared, opts, translation!, route, req, reply, mapping);
        }
        return;
      }
      failure = attempt.error;
      // A client error from the provider (bad request, auth) would fail on the next one too.
      if (!attempt.retryable) break;
    }
    throw failure ?? new GatewayError(502, 'internal_error', 'No provider could serve the request.');
  }

  /** GET /v1/responses/{id}: a response this gateway stored for the caller's team. */
  async retrieve(req: GatewayRequest, id: string): Promise<ResponsesResponse> {
    const stored = await this.store.get(this.teamOf(req), id);
    if (!stored) throw notFound(id);
    return stored.response;
  }

  async remove(req: GatewayRequest, id: string): Promise<{ id: string; object: string; deleted: true }> {
    if (!(await this.store.delete(this.teamOf(req), id))) throw notFound(id);
    return { id, object: 'response.deleted', deleted: true };
  }

  // ---------------------------------------------------------------- preparation

  /** Which protocol a provider is spoken to in (null: the loopback model). */
  private targetOf(provider: ProviderConfig): ProtocolId | null {
    switch (provider.family) {
      case 'openai':
        return this.rt.config.responsesViaChat.includes(provider.name) ? 'openai-chat' : 'openai-responses';
      case 'anthropic':
        return 'anthropic';
      case 'gemini':
        return 'gemini';
      case 'loopback':
        return null;
    }
  }

  private teamOf(req: GatewayRequest): string {
    const principal = req.sluice.principal;
    if (!principal) throw new GatewayError(401, 'missing_api_key', 'Missing API key.');
    return principal.teamId;
  }

  /**
   * Decodes the request, with the stored turn of `previous_response_id` expanded. With
   * `upstreamOwned`, an id this gateway did not store is left to the provider (the request is
   * decoded as it is, for the guard and the firewall to read).
   */
  private async translate(req: GatewayRequest, body: Obj, upstreamOwned = false): Promise<Translation> {
    const prev = body['previous_response_id'];
    const turn =
      typeof prev === 'string' && prev !== '' ? await this.store.turn(this.teamOf(req), prev) : undefined;
    if (upstreamOwned && typeof prev === 'string' && prev !== '' && !turn) {
      return { decoded: decodeResponsesRequest(body), expanded: body, upstreamPrevious: prev };
    }
    const expanded = expandPreviousResponse(body, turn);
    const decoded = decodeResponsesRequest(expanded);
    if (decoded.ir.messages.length === 0)
      throw new GatewayError(400, 'invalid_request', "'input' must contain at least one message.", 'input');
    // The token count reads this IR (as the provider is asked: after redaction) instead of decoding the
    // body again after the answer; a continued response is not counted (see tap.responsesInput).
    if (turn === undefined) req.sluice.countInput = decoded.ir;
    return { decoded, expanded };
  }

  private checkWorkMode(passthrough: boolean, provider: ProviderConfig): void {
    const mode = this.rt.config.routing.workMode;
    if (mode === 'passthrough' && !passthrough)
      throw new GatewayError(
        400,
        'invalid_request',
        `Work mode is passthrough: a Responses request cannot go to provider '${provider.name}' (${provider.family}) without translation.`,
      );
    if (mode === 'translation' && passthrough)
      throw new GatewayError(
        400,
        'invalid_request',
        `Work mode is translation: a Responses request to provider '${provider.name}' would be pure passthrough.`,
      );
  }

  private passthroughBody(body: Obj, route: Route): Prepared {
    return {
      target: 'openai-responses',
      passthrough: true,
      body: JSON.stringify({ ...body, model: route.served }),
      stream: body['stream'] === true,
      tools: undefined,
    };
  }

  private translatedBody(t: Translation, target: ProtocolId, route: Route): Prepared {
    const encoded = getCodec(target).encodeRequest(t.decoded.ir, { model: route.served });
    if (t.upstreamPrevious && target === 'openai-responses')
      encoded.body['previous_response_id'] = t.upstreamPrevious;
    if (encoded.dropped.length > 0)
      this.rt.logger.debug(
        { from: 'openai-responses', to: target, dropped: encoded.dropped },
        'fields dropped in translation',
      );
    return {
      target,
      passthrough: false,
      body: JSON.stringify(encoded.body),
      stream: encoded.stream,
      tools: encoded.tools,
    };
  }

  private encodeOptions(
    t: Translation,
    body: Obj,
    route: Route,
    provider: ProviderConfig | null,
  ): ResponsesEncodeOptions {
    // Built without spreads: a conditional spread in an object literal costs V8 ~100 ns, per request.
    const opts: ResponsesEncodeOptions = {
      model: route.requested,
      request: t.decoded.ir,
      toolNames: t.decoded.toolNames,
      requestBody: body,
    };
    if (provider && provider.family !== 'loopback')
      opts.upstream = { provider: provider.family, model: route.served };
    return opts;
  }

  // ---------------------------------------------------------------- passthrough

  private async pipeJson(res: UpstreamReply, req: GatewayRequest, reply: GatewayReply): Promise<void> {
    const { text, parsed } = await readUpstreamJson(res);
    const outcome = outcomeFromResponse(parsed);
    if (outcome?.usage) recordUsage(req.sluice, outcome.usage);
    if (outcome?.status === 'failed') req.sluice.errorCode = failedCode(parsed);
    tap.noteAnswerLater(req.sluice, () => tap.responsesAnswerText(parsed));
    await reply.status(200).header('content-type', 'application/json').send(text);
  }

  private async pipeStream(res: UpstreamReply, req: GatewayRequest, reply: GatewayReply): Promise<void> {
    const out = this.startSse(req, reply, res.body.pending);
    const parser = new SseParser();
    const observe = (events: SseEvent[]): void => {
      for (const ev of events) this.observePassthrough(req.sluice, ev);
    };
    // What goes out with the end of the response (one socket write for both).
    let last: (string | Buffer)[] = [];
    try {
      for await (const chunk of res.body) {
        // Bytes go out as they arrive; the parser reads usage on the way.
        observe(parser.push(chunk));
        if (req.sluice.budget?.cut) {
          last = [chunk, responsesBudgetCutFrame(req.sluice)];
          return;
        }
        if (res.body.complete) {
          last = [chunk];
          break;
        }
        await writeSse(out, chunk);
      }
      observe(parser.end());
    } catch (err) {
      this.streamBroke(req, out, err);
    } finally {
      endSseWith(out, last);
    }
  }

  private observePassthrough(ctx: RequestContext, ev: SseEvent): void {
    tap.tapResponsesSse(ctx, ev);
    if (ctx.budget && ev.event?.endsWith('.delta')) this.budgets.onStreamed(ctx, ev.data.length);
    const outcome = extractResponsesOutcome(ev);
    if (outcome) {
      if (outcome.usage) recordUsage(ctx, outcome.usage);
      if (outcome.status === 'failed' && ctx.errorCode === null) ctx.errorCode = 'response_failed';
      return;
    }
    if (ev.event === 'error' || ev.data.startsWith('{"type":"error"')) {
      try {
        const data = JSON.parse(ev.data) as { code?: unknown };
        ctx.errorCode = typeof data.code === 'string' ? data.code : 'upstream_error';
      } catch {
        ctx.errorCode = 'upstream_error';
      }
    }
  }

  // ---------------------------------------------------------------- translation

  private async translateJson(
    res: UpstreamReply,
    prepared: Prepared,
    opts: ResponsesEncodeOptions,
    t: Translation,
    route: Route,
    req: GatewayRequest,
    reply: GatewayReply,
    mapping: ReadonlyMap<string, string> | null,
  ): Promise<void> {
    const { parsed } = await readUpstreamJson(res);
    const ir = getCodec(prepared.target).decodeResponse(
      parsed,
      prepared.tools ? { tools: prepared.tools, model: route.served } : { model: route.served },
    );
    recordUsage(req.sluice, ir.usage);
    this.firewall.inspectResponse(tap.noteAnswer(req.sluice, answerText(ir)), req);
    if (mapping) restoreResponse(ir, mapping);
    const response = encodeResponsesResponse(ir, opts);
    if (response.status === 'failed') req.sluice.errorCode = response.error?.code ?? 'response_failed';
    this.keep(req, t, () => ({ response, json: undefined }));
    await reply.status(200).send(response);
  }

  private async translateStream(
    res: UpstreamReply,
    prepared: Prepared,
    opts: ResponsesEncodeOptions,
    t: Translation,
    route: Route,
    req: GatewayRequest,
    reply: GatewayReply,
    mapping: ReadonlyMap<string, string> | null,
  ): Promise<void> {
    // The opening events go out at once, or with the provider's chunk already waiting.
    const out = this.startSse(req, reply, true);
    const parser = new SseParser();
    const restorer = mapping ? new IrStreamRestorer(mapping) : null;
    const answer = new AnswerCollector();
    const decoder = getCodec(prepared.target).createStreamDecoder(
      prepared.tools ? { tools: prepared.tools, model: route.served } : { model: route.served },
    );
    const encoder = new ResponsesStreamEncoder(opts);
    const writer = encoder.writer;
    let kept = false;
    let keepPending = false;
    // The frames of one upstream chunk go out in one write.
    let frames = '';
    const collect = (irEvents: IrStreamEvent[], closing: boolean): void => {
      for (const ev of irEvents) this.observeIr(req.sluice, ev);
      answer.add(irEvents);
      for (const ev of restorer ? restorer.apply(irEvents) : irEvents) frames += encoder.pushText(ev);
      if (closing) frames += encoder.endText();
      if (writer.done && !kept) kept = keepPending = true;
    };
    // The finished response is kept right after the write that carries its terminal event, in the
    // same turn of the event loop (in memory at once, its row written in the background): a client
    // that continues from it the moment the event arrives is served only after this turn, so it
    // finds it, and the response's serialization for the store is not on the client's wait.
    const keepIfDone = (): void => {
      if (!keepPending) return;
      keepPending = false;
      this.keep(req, t, () => writer.final());
    };
    const take = (): string => {
      const text = frames;
      frames = '';
      return text;
    };
    let last: string[] = [];
    try {
      frames += encoder.beginText();
      // The provider has not sent anything yet (a model thinking): the client sees the response begin
      // now. Otherwise the opening events go out with the first chunk's, in one write.
      if (!res.body.pending) await writeSse(out, take());
      for await (const chunk of res.body) {
        for (const ev of parser.push(chunk)) collect(decoder.push(ev), false);
        if (req.sluice.budget?.cut) {
          const encode = (ev: IrStreamEvent): string => encoder.pushText(ev);
          last = [take(), budgetCutFrames(req.sluice, 'openai-responses', route.requested, encode)];
          return;
        }
        // The provider has finished: this chunk's events join the end instead of a write of their own.
        if (res.body.complete) break;
        const written = writeSse(out, take());
        keepIfDone();
        await written;
        if (out.destroyed) return;
      }
      for (const ev of parser.end()) collect(decoder.push(ev), false);
      collect(decoder.end(), true);
    } catch (err) {
      this.streamBroke(req, out, err);
      // The client still gets a terminal event when it is listening.
      if (!writer.done && !out.destroyed) {
        try {
          collect([], true);
        } catch {
          // nothing more can be sent
        }
      }
    } finally {
      endSseWith(out, [...last, take()]);
      try {
        keepIfDone();
      } catch (err) {
        // As inside the stream: the answer is sent; only continuing from it will not find it.
        this.rt.logger.error(
          { requestId: req.id, err: (err as Error).message },
          'keeping the response failed',
        );
      }
      // The answer's scan only records (for the usage event, written at close): after the write.
      this.firewall.inspectResponse(tap.noteAnswer(req.sluice, answer.text()), req);
    }
  }

  private observeIr(ctx: RequestContext, ev: IrStreamEvent): void {
    tap.markFirstToken(ctx, ev);
    if (ctx.budget && ev.type === 'block_delta') this.budgets.onStreamed(ctx, streamedChars([ev]));
    if ((ev.type === 'message_start' || ev.type === 'message_delta') && ev.usage) recordUsage(ctx, ev.usage);
    if (ev.type === 'error') ctx.errorCode = ev.error.code ?? ev.error.kind;
  }

  /**
   * Stores a translated answer for `previous_response_id` and GET, unless the client said
   * `store: false` (the response object is only built then). The row is written in the background;
   * the store serves the turn from memory until it lands.
   */
  private keep(
    req: GatewayRequest,
    t: Translation,
    final: () => { response: ResponsesResponse; json: string | undefined },
  ): void {
    if (!t.decoded.store) return;
    const { response, json } = final();
    if (response.id === '') return;
    // The response as sent, neither copied nor serialized again: the stream's writer is done with it.
    this.store.remember(this.teamOf(req), { input: inputItemsOf(t.expanded), response }, json);
  }

  // ---------------------------------------------------------------- loopback

  private async serveLoopback(
    t: Translation,
    body: Obj,
    route: Route,
    req: GatewayRequest,
    reply: GatewayReply,
    mapping: ReadonlyMap<string, string> | null,
  ): Promise<void> {
    const res = loopbackResponse(t.decoded.ir, req.id, Date.now());
    req.sluice.providerRequestId = res.id;
    recordUsage(req.sluice, res.usage);
    this.firewall.inspectResponse(tap.noteAnswer(req.sluice, answerText(res)), req);
    const opts = this.encodeOptions(t, body, route, null);
    if (!t.decoded.ir.stream) {
      if (mapping) restoreResponse(res, mapping);
      const response = encodeResponsesResponse(res, opts);
      this.keep(req, t, () => ({ response, json: undefined }));
      await reply.status(200).send(response);
      return;
    }
    const out = this.startSse(req, reply, true);
    const encoder = new ResponsesStreamEncoder(opts);
    let kept = false;
    const events = loopbackStream(res);
    for (const ev of mapping ? new IrStreamRestorer(mapping).apply(events) : events) {
      tap.markFirstToken(req.sluice, ev);
      const frames = encoder.pushText(ev);
      if (encoder.writer.done && !kept) {
        kept = true;
        this.keep(req, t, () => encoder.writer.final());
      }
      await writeSse(out, frames);
      if (out.destroyed) return;
    }
    out.end(encoder.endText());
  }

  // ---------------------------------------------------------------- SSE

  /** `eventNow`: an event is written at once (see `writeSseHead`). */
  private startSse(req: GatewayRequest, reply: GatewayReply, eventNow: boolean): ServerResponse {
    reply.hijack();
    const out = reply.raw;
    writeSseHead(out, eventNow);
    req.sluice.firstByteAt = performance.now();
    return out;
  }

  private streamBroke(req: GatewayRequest, out: ServerResponse, err: unknown): void {
    if (out.destroyed) return;
    req.sluice.errorCode = 'upstream_stream_error';
    this.rt.logger.warn(
      { requestId: req.id, err: (err as Error).message },
      'upstream stream ended abnormally',
    );
  }
}

function failedCode(response: unknown): string {
  const err = isObject(response) && isObject(response['error']) ? response['error'] : null;
  return err && typeof err['code'] === 'string' ? err['code'] : 'response_failed';
}

function notFound(id: string): GatewayError {
  return new GatewayError(404, 'not_found', `Response with id '${id}' not found.`, 'response_id');
}
