import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GATEWAY_RUNTIME, type GatewayRuntime } from '../gateway.runtime';
import { UsageRecorder } from '../usage/usage-recorder.service';

@Controller()
export class HealthController {
  constructor(
    @Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime,
    private readonly usage: UsageRecorder,
  ) {}

  /** Liveness: the process serves HTTP. */
  @Get('/health')
  health(): unknown {
    return { status: 'ok', service: 'gateway' };
  }

  /**
   * Readiness: the database answers. The event transport is reported but does not fail readiness:
   * the gateway keeps serving while Kafka is down and the outbox holds the events.
   */
  @Get('/ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const database = await this.rt.db.ping();
    const body = {
      status: database ? 'ready' : 'unavailable',
      checks: { database, eventTransport: this.rt.transport.isHealthy(), usageBacklog: this.usage.backlog() },
    };
    await reply.status(database ? 200 : 503).send(body);
  }

  @Get('/metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    return this.rt.metrics.metrics();
  }
}
