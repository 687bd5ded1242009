import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataPlaneGuard } from '../auth/data-plane.guard';
import { CountTokensService } from '../proxy/count-tokens.service';
import { ProxyService } from '../proxy/proxy.service';

/**
 * Anthropic Messages at `/v1/messages` (Claude Code, which also appends `?beta=true`) and
 * `/anthropic/v1/messages` (for base URLs that keep the families apart).
 */
@Controller()
@UseGuards(DataPlaneGuard)
export class AnthropicController {
  constructor(
    private readonly proxy: ProxyService,
    private readonly counter: CountTokensService,
  ) {}

  @Post(['/v1/messages', '/anthropic/v1/messages'])
  @HttpCode(200)
  async messages(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<void> {
    req.sluice.endpoint = 'anthropic.messages';
    await this.proxy.generate({ client: 'anthropic', req, reply, body });
  }

  @Post(['/v1/messages/count_tokens', '/anthropic/v1/messages/count_tokens'])
  @HttpCode(200)
  async countTokens(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<void> {
    req.sluice.endpoint = 'anthropic.count_tokens';
    await this.counter.count({ client: 'anthropic', req, reply, body });
  }
}
