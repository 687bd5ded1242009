import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataPlaneGuard } from '../auth/data-plane.guard';
import { ChatCompletionsService } from './chat-completions.service';

@Controller()
@UseGuards(DataPlaneGuard)
export class ChatCompletionsController {
  constructor(private readonly chat: ChatCompletionsService) {}

  @Post('/v1/chat/completions')
  @HttpCode(200)
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Body() body: unknown): Promise<void> {
    await this.chat.complete(req, reply, body);
  }
}
