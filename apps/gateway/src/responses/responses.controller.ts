import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ResponsesResponse } from '@sluice/protocols';
import { DataPlaneGuard } from '../auth/data-plane.guard';
import { DataPlaneHandlers } from '../direct/data-plane-handlers';
import { ResponsesService } from './responses.service';

/** The OpenAI Responses API: create (JSON or SSE), and retrieve / delete what the gateway stored. */
@Controller()
@UseGuards(DataPlaneGuard)
export class ResponsesController {
  constructor(
    private readonly responses: ResponsesService,
    private readonly handlers: DataPlaneHandlers,
  ) {}

  @Post('/v1/responses')
  @HttpCode(200)
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Body() body: unknown): Promise<void> {
    await this.handlers.responses(req, reply, body);
  }

  @Get('/v1/responses/:id')
  async retrieve(@Req() req: FastifyRequest, @Param('id') id: string): Promise<ResponsesResponse> {
    req.sluice.endpoint = 'openai.responses.retrieve';
    return this.responses.retrieve(req, id);
  }

  @Delete('/v1/responses/:id')
  @HttpCode(200)
  async remove(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
  ): Promise<{ id: string; object: string; deleted: true }> {
    req.sluice.endpoint = 'openai.responses.delete';
    return this.responses.remove(req, id);
  }
}
