import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MARKETPLACE_RUNTIME, type MarketplaceRuntime } from '../marketplace.runtime';

@Controller()
export class MarketplaceHealthController {
  constructor(@Inject(MARKETPLACE_RUNTIME) private readonly rt: MarketplaceRuntime) {}

  @Get('/health')
  health(): unknown {
    return { status: 'ok', service: 'marketplace' };
  }

  @Get('/ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const database = await this.rt.db.ping();
    await reply
      .status(database ? 200 : 503)
      .send({ status: database ? 'ready' : 'unavailable', checks: { database } });
  }

  @Get('/metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    return this.rt.metrics.metrics();
  }
}
