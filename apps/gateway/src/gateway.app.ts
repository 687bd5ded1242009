import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { performance } from 'node:perf_hooks';
import { Counter, Histogram } from 'prom-client';
import { v7 as uuidv7 } from 'uuid';
import { GatewayErrorFilter } from './common/error.filter';
import { protocolOf } from './common/protocol';
import { newRequestContext } from './common/request-context';
import { GatewayModule } from './gateway.module';
import type { GatewayRuntime } from './gateway.runtime';
import { CLIENT_CLOSED_STATUS, UsageRecorder } from './usage/usage-recorder.service';
import { BudgetEnforcer } from './budget/budget-enforcer.service';

/**
 * Builds the gateway (NestJS on Fastify) without listening: entry points and tests call `listen`.
 * Request-wide concerns live in Fastify hooks, which run for every route, including 404s and
 * errors raised before a handler: the request id header, usage capture, and metrics.
 */
export async function createGatewayApp(rt: GatewayRuntime): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: rt.config.maxBodyBytes,
    genReqId: () => uuidv7(),
    requestIdHeader: false,
    logger: false,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(rt), adapter, {
    logger: ['error', 'warn'],
    bufferLogs: false,
    // Passthrough sends the body upstream as it came, without serialising it again.
    rawBody: true,
  });
  app.useGlobalFilters(new GatewayErrorFilter(rt.logger));

  const usage = app.get(UsageRecorder);
  const budgets = app.get(BudgetEnforcer);
  const requests = new Counter({
    name: 'sluice_gateway_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [rt.metrics],
  });
  const duration = new Histogram({
    name: 'sluice_gateway_http_request_duration_seconds',
    help: 'Time from request to the end of the response',
    labelNames: ['route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [rt.metrics],
  });

  const fastify = app.getHttpAdapter().getInstance();
  fastify.decorateRequest('sluice', null as never);
  fastify.addHook('onRequest', (req, reply, done) => {
    const startedAt = performance.now();
    const ctx = newRequestContext(req.id, protocolOf(req.url), startedAt);
    req.sluice = ctx;
    // On the raw response, so it is there for streamed (hijacked) replies too.
    reply.raw.setHeader('x-request-id', req.id);
    reply.raw.once('close', () => {
      const now = performance.now();
      const finished = reply.raw.writableFinished;
      const status = finished ? reply.raw.statusCode : CLIENT_CLOSED_STATUS;
      if (!finished && ctx.errorCode === null) ctx.errorCode = 'client_closed';
      budgets.complete(ctx);
      usage.record(ctx, status, now);
      const route = req.routeOptions.url ?? 'unmatched';
      requests.inc({ route, method: req.method, status: String(status) });
      duration.observe({ route }, (now - startedAt) / 1000);
    });
    done();
  });
  fastify.addHook('onSend', (req, _reply, payload, done) => {
    if (req.sluice && req.sluice.firstByteAt === null) req.sluice.firstByteAt = performance.now();
    done(null, payload);
  });
  await app.init();
  return app;
}
