import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataPlaneGuard } from '../auth/data-plane.guard';
import { DataPlaneHandlers } from '../direct/data-plane-handlers';
import { ModelRouter } from '../routing/model-router.service';

/**
 * Gemini at `/v1beta/models/{model}:{method}` and `/v1/models/{model}:{method}` (@google/genai
 * defaults to v1): the route is chosen by the `:method` suffix, not by the version prefix.
 */
@Controller()
@UseGuards(DataPlaneGuard)
export class GeminiController {
  constructor(
    private readonly router: ModelRouter,
    private readonly handlers: DataPlaneHandlers,
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
    await this.handlers.gemini(target, req, reply, body);
  }
}
