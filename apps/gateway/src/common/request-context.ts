import type { NormalizedUsage, UsageRecordedV1 } from '@sluice/events';
import type { Principal } from '@sluice/identity';
import type { Protocol } from './protocol';

/**
 * What the gateway learns about one request while serving it; the usage event is built from it
 * when the response closes (finished or aborted), so every request yields exactly one event.
 */
export type RequestContext = {
  requestId: string;
  receivedAtMs: number;
  startedAt: number;
  protocol: Protocol;
  principal: Principal | null;
  /** Set by the handler: `openai.chat_completions`, `anthropic.messages` ... (null: not data plane). */
  endpoint: string | null;
  modelRequested: string | null;
  modelServed: string | null;
  provider: string | null;
  providerRequestId: string | null;
  stream: boolean;
  usage: NormalizedUsage | null;
  rawUsage: Record<string, unknown> | null;
  firstByteAt: number | null;
  errorCode: string | null;
  /** Prompt firewall findings (no values), for the usage event. */
  firewall: UsageRecordedV1['firewall'];
};

declare module 'fastify' {
  interface FastifyRequest {
    sluice: RequestContext;
    /** The JSON body's bytes as received (Nest `rawBody: true`), for passthrough. */
    rawBody?: Buffer;
  }
}

export function newRequestContext(requestId: string, protocol: Protocol, startedAt: number): RequestContext {
  return {
    requestId,
    receivedAtMs: Date.now(),
    startedAt,
    protocol,
    principal: null,
    endpoint: null,
    modelRequested: null,
    modelServed: null,
    provider: null,
    providerRequestId: null,
    stream: false,
    usage: null,
    rawUsage: null,
    firstByteAt: null,
    errorCode: null,
    firewall: [],
  };
}
