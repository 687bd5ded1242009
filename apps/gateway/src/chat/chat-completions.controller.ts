import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataPlaneGuard } from '../auth/data-plane.guard';
import { DataPlaneHandlers } from '../direct/data-plane-handlers';

/**
 * OpenAI Chat Completions, and Gemini's OpenAI-compatible route to it. The direct lane serves the
 * common case of these paths itself (direct/direct-lane.ts); what it leaves to Fastify lands here.
 */
@Controller()
@UseGuards(DataPlaneGuard)
export class ChatCompletionsController {
  constructor(private readonly handlers: DataPlaneHandlers) {}

  @Post(['/v1/chat/completions', '/v1beta/openai/chat/completions'])
  @HttpCode(200)
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Body() body: unknown): Promise<void> {
    await this.handlers.chatCompletions(req, reply, body);
  }
}
