import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { decodeError, ProtocolError } from '@sluice/protocols';
import { DataPlaneGuard } from '../auth/data-plane.guard';
import { GatewayError } from '../common/gateway-error';
import { ModelRouter } from '../routing/model-router.service';
import { upstreamTarget } from '../upstream/provider-target';
import { UpstreamClient } from '../upstream/upstream-client';

/**
 * OpenAI embeddings, passed through to an OpenAI(-compatible) provider as they came (the SDK's
 * `encoding_format: "base64"` included). Embeddings are not translated across families.
 */
@Controller()
@UseGuards(DataPlaneGuard)
export class EmbeddingsController {
  constructor(
    private readonly router: ModelRouter,
    private readonly upstream: UpstreamClient,
  ) {}

  @Post('/v1/embeddings')
  @HttpCode(200)
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Body() body: unknown): Promise<void> {
    req.sluice.endpoint = 'openai.embeddings';
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new GatewayError(400, 'invalid_request', 'Request body must be a JSON object.');
    const model = (body as { model?: unknown }).model;
    if (typeof model !== 'string' || model === '')
      throw new GatewayError(400, 'invalid_request', "'model' is required.", 'model');
    if ((body as { input?: unknown }).input === undefined)
      throw new GatewayError(400, 'invalid_request', "'input' is required.", 'input');
    req.sluice.modelRequested = model;
    const route = this.router.resolve(model);
    req.sluice.modelServed = route.served;
    const provider = route.chain.find((p) => p.family === 'openai');
    if (!provider) {
      throw new GatewayError(
        400,
        'invalid_request',
        `Embeddings for '${model}' need an OpenAI-compatible provider; its route has none.`,
        'model',
      );
    }
    req.sluice.provider = provider.name;
    const { url, headers } = upstreamTarget(provider, {
      model: route.served,
      stream: false,
      operation: 'embeddings',
    });
    const res = await this.upstream.send({
      url,
      headers,
      body: JSON.stringify({ ...(body as Record<string, unknown>), model: route.served }),
      timeoutMs: provider.timeoutMs,
      signal: AbortSignal.timeout(provider.timeoutMs),
    });
    const text = await res.body.text();
    if (res.status >= 400) throw new ProtocolError(decodeError('openai-chat', res.status, text));
    try {
      const usage = (JSON.parse(text) as { usage?: { prompt_tokens?: number } }).usage;
      if (usage && typeof usage.prompt_tokens === 'number') {
        req.sluice.usage = {
          inputUncachedTokens: usage.prompt_tokens,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          outputTokens: 0,
          reasoningTokens: 0,
        };
        req.sluice.rawUsage = usage;
      }
    } catch {
      // not JSON: relayed as it is; no usage to record
    }
    await reply.status(200).header('content-type', 'application/json').send(text);
  }
}
