import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataPlaneGuard } from '../auth/data-plane.guard';
import { EmbeddingsService } from './embeddings.service';

@Controller()
@UseGuards(DataPlaneGuard)
export class EmbeddingsController {
  constructor(private readonly embeddings: EmbeddingsService) {}

  @Post('/v1/embeddings')
  @HttpCode(200)
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Body() body: unknown): Promise<void> {
    req.sluice.endpoint = 'openai.embeddings';
    await this.embeddings.openai(req, reply, body);
  }
}
