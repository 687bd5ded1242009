import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataPlaneGuard } from '../auth/data-plane.guard';
import { DataPlaneHandlers } from '../direct/data-plane-handlers';

/**
 * Anthropic Messages at `/v1/messages` (Claude Code, which also appends `?beta=true`) and
 * `/anthropic/v1/messages` (for base URLs that keep the families apart). The direct lane serves the
 * common case of these paths itself (direct/direct-lane.ts); what it leaves to Fastify lands here.
 */
@Controller()
@UseGuards(DataPlaneGuard)
export class AnthropicController {
  constructor(private readonly handlers: DataPlaneHandlers) {}

  @Post(['/v1/messages', '/anthropic/v1/messages'])
  @HttpCode(200)
  async messages(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<void> {
    await this.handlers.messages(req, reply, body);
  }

  @Post(['/v1/messages/count_tokens', '/anthropic/v1/messages/count_tokens'])
  @HttpCode(200)
  async countTokens(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<void> {
    await this.handlers.countTokens(req, reply, body);
  }
}
