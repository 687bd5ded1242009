import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataPlaneGuard } from '../auth/data-plane.guard';
import { GatewayError } from '../common/gateway-error';
import { EmbeddingsService } from '../embeddings/embeddings.service';
import { CountTokensService } from '../proxy/count-tokens.service';
import { ProxyService } from '../proxy/proxy.service';
import { ModelRouter } from '../routing/model-router.service';

/**
 * Gemini at `/v1beta/models/{model}:{method}` and `/v1/models/{model}:{method}` (@google/genai
 * defaults to v1): the route is chosen by the `:method` suffix, not by the version prefix.
 */
@Controller()
@UseGuards(DataPlaneGuard)
export class GeminiController {
  constructor(
    private readonly proxy: ProxyService,
    private readonly counter: CountTokensService,
    private readonly router: ModelRouter,
    private readonly embeddings: EmbeddingsService,
  ) {}

  @Get('/v1beta/models')
  list(@Req() req: FastifyRequest): unknown {
    req.sluice.endpoint = 'gemini.models';
    return {
      models: this.router.models().map((m) => ({
        name: `models/${m.id}`,
        displayName: m.id,
        supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'],
      })),
    };
  }

  @Post(['/v1beta/models/:target', '/v1/models/:target'])
  @HttpCode(200)
  async call(
    @Param('target') target: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<void> {
    const m = /^(.+):([A-Za-z]+)$/.exec(decodeURIComponent(target));
    if (!m)
      throw new GatewayError(
        404,
        'not_found',
        `Unknown Gemini method in '${target}': expected models/{model}:{method}.`,
      );
    const model = m[1]!.replace(/^models\//, '');
    switch (m[2]) {
      case 'generateContent':
        req.sluice.endpoint = 'gemini.generate_content';
        return this.proxy.generate({
          client: 'gemini',
          req,
          reply,
          body,
          pathModel: model,
          pathStream: false,
        });
      case 'streamGenerateContent':
        req.sluice.endpoint = 'gemini.stream_generate_content';
        return this.proxy.generate({
          client: 'gemini',
          req,
          reply,
          body,
          pathModel: model,
          pathStream: true,
        });
      case 'countTokens':
        req.sluice.endpoint = 'gemini.count_tokens';
        return this.counter.count({ client: 'gemini', req, reply, body, pathModel: model });
      case 'embedContent':
      case 'batchEmbedContents':
        req.sluice.endpoint = 'gemini.embed_content';
        return this.embeddings.gemini(req, reply, body, model, m[2] === 'batchEmbedContents');
      default:
        throw new GatewayError(404, 'not_found', `Gemini method '${m[2]}' is not served by this gateway.`);
    }
  }
}
