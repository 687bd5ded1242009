import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { performance } from 'node:perf_hooks';
import { writeSseHead, writeSseData, endSse } from '../common/sse';
import {
  LOOPBACK_PROVIDER,
  loopbackAnswer,
  loopbackChunks,
  loopbackCompletion,
  loopbackUsage,
} from '../providers/loopback.provider';
import { ModelRouter } from '../routing/model-router.service';
import { parseChatCompletionRequest } from './chat-request.schema';

@Injectable()
export class ChatCompletionsService {
  constructor(private readonly router: ModelRouter) {}

  async complete(req: FastifyRequest, reply: FastifyReply, body: unknown): Promise<void> {
    const ctx = req.sluice;
    ctx.endpoint = 'openai.chat_completions';
    if (body && typeof body === 'object' && typeof (body as { model?: unknown }).model === 'string') {
      ctx.modelRequested = (body as { model: string }).model;
    }
    const request = parseChatCompletionRequest(body);
    ctx.stream = request.stream === true;
    const route = this.router.resolve(request.model);
    ctx.provider = route.provider;
    ctx.modelServed = route.model;
    if (route.provider !== LOOPBACK_PROVIDER) throw new Error(`no adapter for provider ${route.provider}`);

    const answer = loopbackAnswer(request, ctx.requestId, Date.now());
    const usage = loopbackUsage(answer);
    ctx.providerRequestId = answer.id;
    if (!ctx.stream) {
      ctx.usage = usage.normalized;
      ctx.rawUsage = usage.raw;
      await reply.status(200).send(loopbackCompletion(answer, route.model));
      return;
    }
    reply.hijack();
    const res = reply.raw;
    writeSseHead(res);
    ctx.firstByteAt = performance.now();
    for (const chunk of loopbackChunks(answer, route.model, request.stream_options?.include_usage === true)) {
      if (res.destroyed) return;
      await writeSseData(res, JSON.stringify(chunk));
    }
    // Recorded only once the whole answer went out: an aborted stream reports what it got.
    ctx.usage = usage.normalized;
    ctx.rawUsage = usage.raw;
    endSse(res, true);
  }
}
