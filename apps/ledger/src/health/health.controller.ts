import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { LEDGER_RUNTIME, type LedgerRuntime } from '../ledger.runtime';

@Controller()
export class LedgerHealthController {
  constructor(@Inject(LEDGER_RUNTIME) private readonly rt: LedgerRuntime) {}

  @Get('/health')
  health(): unknown {
    return { status: 'ok', service: 'ledger' };
  }

  @Get('/ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const database = await this.rt.db.ping();
    await reply.status(database ? 200 : 503).send({
      status: database ? 'ready' : 'unavailable',
      checks: { database, eventTransport: this.rt.transport.isHealthy() },
    });
  }

  @Get('/metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    return this.rt.metrics.metrics();
  }
}
