import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataPlaneGuard } from '../auth/data-plane.guard';
import { ProxyService } from '../proxy/proxy.service';

/** OpenAI Chat Completions, and Gemini's OpenAI-compatible route to it. */
@Controller()
@UseGuards(DataPlaneGuard)
export class ChatCompletionsController {
  constructor(private readonly proxy: ProxyService) {}

  @Post(['/v1/chat/completions', '/v1beta/openai/chat/completions'])
  @HttpCode(200)
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Body() body: unknown): Promise<void> {
    req.sluice.endpoint = 'openai.chat_completions';
    await this.proxy.generate({ client: 'openai-chat', req, reply, body });
  }
}
