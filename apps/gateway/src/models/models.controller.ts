import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DataPlaneGuard } from '../auth/data-plane.guard';
import { ModelRouter } from '../routing/model-router.service';

const CREATED = Math.floor(Date.UTC(2026, 0, 1) / 1000);

@Controller()
@UseGuards(DataPlaneGuard)
export class ModelsController {
  constructor(private readonly router: ModelRouter) {}

  @Get('/v1/models')
  list(@Req() req: FastifyRequest): unknown {
    req.sluice.endpoint = 'openai.models';
    return {
      object: 'list',
      data: this.router
        .models()
        .map((m) => ({ id: m.id, object: 'model', created: CREATED, owned_by: m.ownedBy })),
    };
  }
}
