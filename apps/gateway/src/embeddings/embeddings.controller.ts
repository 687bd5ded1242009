import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataPlaneGuard } from '../auth/data-plane.guard';
import { DataPlaneHandlers } from '../direct/data-plane-handlers';

@Controller()
@UseGuards(DataPlaneGuard)
export class EmbeddingsController {
  constructor(private readonly handlers: DataPlaneHandlers) {}

  @Post('/v1/embeddings')
  @HttpCode(200)
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Body() body: unknown): Promise<void> {
    await this.handlers.embeddings(req, reply, body);
  }
}
