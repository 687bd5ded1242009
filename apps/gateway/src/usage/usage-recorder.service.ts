import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import {
  isoTime,
  makeEnvelope,
  Outbox,
  USAGE_RECORDED_V1,
  ZERO_USAGE,
  type UsageRecordedV1,
} from '@sluice/events';
import { warmTokenizer } from '@sluice/protocols';
import type { RequestContext } from '../common/request-context';
import { GATEWAY_RUNTIME, type GatewayRuntime } from '../gateway.runtime';
import { countGatewayTokens, requestSha256, responseSha256 } from './gateway-token-count';

/** HTTP status used when the client went away before the response finished (nginx's convention). */
export const CLIENT_CLOSED_STATUS = 499;
/** ... and the `errorCode` its usage event carries. */
export const CLIENT_CLOSED_CODE = 'client_closed';

/**
 * Turns each finished data-plane request into one `usage.recorded.v1` event and hands it to the
 * outbox: memory first, the database in batches, the transport from there. See README, "Usage
 * events: what survives a crash".
 */
@Injectable()
export class UsageRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly outbox: Outbox;
  private readonly refused: Counter;

  constructor(@Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime) {
    const log = rt.logger;
    const published = new Counter({
      name: 'sluice_gateway_usage_events_published_total',
      help: 'Usage events accepted by the event transport',
      registers: [rt.metrics],
    });
    this.outbox = new Outbox(rt.db, rt.transport, {
      table: 'gateway.usage_outbox',
      topic: rt.config.usageTopic,
      instanceId: rt.instanceId,
      flushMs: rt.config.usageFlushMs,
      batchSize: rt.config.usageBatchSize,
      bufferLimit: rt.config.usageBufferLimit,
      onError: (stage, err) => log.warn({ stage, err: errMessage(err) }, 'usage outbox: will retry'),
      onPublished: (n) => published.inc(n),
    });
    this.refused = new Counter({
      name: 'sluice_gateway_usage_buffer_full_total',
      help: 'Requests refused because the usage buffer was full (the database could not take events)',
      registers: [rt.metrics],
    });
    const outbox = this.outbox;
    new Gauge({
      name: 'sluice_gateway_usage_backlog',
      help: 'Usage events not yet accepted by the event transport (in memory + in the outbox table)',
      registers: [rt.metrics],
      collect() {
        this.set(outbox.backlog());
      },
    });
    new Gauge({
      name: 'sluice_gateway_usage_buffered',
      help: 'Usage events in memory: not yet acknowledged by the transport nor written to the outbox table',
      registers: [rt.metrics],
      collect() {
        this.set(outbox.buffered());
      },
    });
    new Gauge({
      name: 'sluice_gateway_event_transport_up',
      help: '1 when the last publish to the event transport succeeded',
      registers: [rt.metrics],
      collect() {
        this.set(rt.transport.isHealthy() ? 1 : 0);
      },
    });
  }

  async onModuleInit(): Promise<void> {
    // The BPE table takes ~200 ms to load: at start, not on the close of the first request.
    warmTokenizer();
    await this.outbox.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.outbox.stop(this.rt.config.shutdownDrainMs);
    const left = this.outbox.backlog();
    if (left > 0)
      this.rt.logger.warn({ left }, 'usage events left in the outbox; they are sent after the next start');
  }

  /** False when events cannot be kept: the caller refuses new work rather than lose its record. */
  hasRoom(): boolean {
    if (!this.outbox.isFull()) return true;
    this.refused.inc();
    return false;
  }

  backlog(): number {
    return this.outbox.backlog();
  }

  async flush(): Promise<void> {
    await this.outbox.flush();
  }

  record(ctx: RequestContext, status: number, now: number): void {
    const principal = ctx.principal;
    if (!principal || !ctx.endpoint) return;
    const data: UsageRecordedV1 = {
      requestId: ctx.requestId,
      teamId: principal.teamId,
      keyId: principal.keyId,
      endpoint: ctx.endpoint,
      modelRequested: ctx.modelRequested,
      modelServed: ctx.modelServed,
      provider: ctx.provider,
      providerRequestId: ctx.providerRequestId,
      stream: ctx.stream,
      status,
      errorCode: ctx.errorCode,
      usage: ctx.usage ?? ZERO_USAGE,
      rawUsage: ctx.rawUsage,
      receivedAt: isoTime(ctx.receivedAtMs),
      latencyMs: round3(now - ctx.startedAt),
      ttfbMs: ctx.firstByteAt === null ? null : round3(ctx.firstByteAt - ctx.startedAt),
      firewall: ctx.firewall,
      requestSha256: requestSha256(ctx),
      responseSha256: responseSha256(ctx),
      ttftMs: ctx.firstTokenAt === null ? null : round3(ctx.firstTokenAt - ctx.startedAt),
      // After the response has gone (this runs on close); errors are not counted (nothing to dispute).
      gatewayTokens:
        status < 400
          ? countGatewayTokens(ctx, this.rt.config.usageTokenCountMaxBytes)
          : { input: null, output: null },
    };
    const event = makeEnvelope({
      type: USAGE_RECORDED_V1,
      subject: principal.teamId,
      producer: 'gateway',
      correlationId: ctx.requestId,
      data,
    });
    this.outbox.enqueue(event);
  }
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
