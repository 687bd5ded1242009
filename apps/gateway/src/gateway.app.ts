import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { uuidv7 } from '@sluice/events';
import { DataPlaneGuard } from './auth/data-plane.guard';
import { GatewayErrorFilter } from './common/error.filter';
import { Exchanges } from './common/exchanges';
import { DataPlaneHandlers } from './direct/data-plane-handlers';
import { DirectLane } from './direct/direct-lane';
import { GatewayModule } from './gateway.module';
import type { GatewayRuntime } from './gateway.runtime';
import { UsageRecorder } from './usage/usage-recorder.service';
import { BudgetEnforcer } from './budget/budget-enforcer.service';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

const listeners = new WeakMap<NestFastifyApplication, RequestListener>();

/**
 * How the gateway's server takes a request: the direct lane when it serves it, Fastify otherwise.
 * The multi-port mode's family servers hand their requests to the same function.
 */
export function requestListenerOf(app: NestFastifyApplication): RequestListener {
  const listener = listeners.get(app);
  if (!listener) throw new Error('not an app made by createGatewayApp');
  return listener;
}

/**
 * Builds the gateway (NestJS on Fastify) without listening: entry points and tests call `listen`.
 * Request-wide concerns live in Fastify hooks, which run for every route, including 404s and
 * errors raised before a handler: the request id header, usage capture, and metrics. The hot
 * data-plane routes are served by the direct lane in front of Fastify (direct/direct-lane.ts),
 * which opens and closes each request through the same `Exchanges`.
 */
export async function createGatewayApp(rt: GatewayRuntime): Promise<NestFastifyApplication> {
  let lane: DirectLane | null = null;
  let fastifyListener: RequestListener | null = null;
  const listener: RequestListener = (req, res) => {
    if (lane === null || !lane.handle(req, res)) fastifyListener!(req, res);
  };
  const adapter = new FastifyAdapter({
    bodyLimit: rt.config.maxBodyBytes,
    genReqId: () => uuidv7(),
    requestIdHeader: false,
    logger: false,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Fastify's own server, with the direct lane in front of its handler.
    serverFactory: (handler: RequestListener, options: FastifyServerOptions) => {
      fastifyListener = handler;
      const server = createServer(listener);
      server.keepAliveTimeout = options.keepAliveTimeout ?? 72_000;
      server.requestTimeout = options.requestTimeout ?? 0;
      server.setTimeout(options.connectionTimeout ?? 0);
      if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
      return server;
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(rt), adapter, {
    logger: ['error', 'warn'],
    bufferLogs: false,
    // Passthrough sends the body upstream as it came, without serialising it again.
    rawBody: true,
  });
  app.useGlobalFilters(new GatewayErrorFilter(rt.logger));

  const exchanges = new Exchanges(app.get(UsageRecorder), app.get(BudgetEnforcer), rt.metrics);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.decorateRequest('sluice', null as never);
  fastify.addHook('onRequest', (req, reply, done) => {
    req.sluice = exchanges.open(
      'fastify',
      req.id,
      req.url,
      req.method,
      reply.raw,
      () => req.routeOptions.url ?? 'unmatched',
    );
    done();
  });
  fastify.addHook('onSend', (req, _reply, payload, done) => {
    if (req.sluice && req.sluice.firstByteAt === null) req.sluice.firstByteAt = performance.now();
    done(null, payload);
  });
  fastify.addHook('preClose', (done) => {
    lane?.close();
    done();
  });
  await app.init();
  if (rt.config.directLane) {
    const parser = fastify.getDefaultJsonParser('error', 'error');
    const parseJson = (body: Buffer): unknown => {
      // Fastify's parser (secure-json-parse) looks for "__proto__" and "constructor" keys, spelled
      // out or with \u escapes, with two regular expressions over the whole body after JSON.parse.
      // A body with neither word and no \u escape at all cannot hold such a key: JSON.parse alone
      // (a scan for three substrings instead of two regex passes). Anything else goes to the parser.
      const text = body.toString('utf8');
      if (
        text.charCodeAt(0) !== 0xfeff &&
        !text.includes('\\u') &&
        !text.includes('__proto__') &&
        !text.includes('constructor')
      )
        return JSON.parse(text) as unknown;
      let out: unknown;
      void parser(null as never, text, (err, value) => {
        if (err) throw err;
        out = value;
      });
      return out;
    };
    lane = new DirectLane(
      app.get(DataPlaneHandlers),
      app.get(DataPlaneGuard),
      exchanges,
      rt.logger,
      rt.config.maxBodyBytes,
      parseJson,
    );
  }
  listeners.set(app, listener);
  return app;
}
