import type { NormalizedUsage, UsageRecordedV1 } from '@sluice/events';
import type { Principal } from '@sluice/identity';
import type { IrRequest } from '@sluice/protocols';
import type { Protocol } from './protocol';
import type { BudgetTicket } from '../budget/budget-enforcer.service';
import type { ResponseDigest } from '../usage/response-digest';

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
  /** When the first content or tool-call delta went out (streams only): the TTFT. */
  firstTokenAt: number | null;
  /** SHA-256 of the response body bytes, fed as they are written (see usage/response-tap.ts). */
  responseHash: ResponseDigest | null;
  /** The request body as received (a reference, not a copy); hashed once the response is finished. */
  requestBody: Buffer | null;
  /** The request as the provider was asked, counted by the gateway's tokenizer after the response. */
  countInput: IrRequest | (() => IrRequest | null) | null;
  /** What the model wrote (text, tool arguments), or how to get it, for the gateway's own token count. */
  answer: string | (() => string) | null;
  /** The hard budgets the request was admitted against (null: none apply, or budgets are off). */
  budget: BudgetTicket | null;
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
    firstTokenAt: null,
    responseHash: null,
    requestBody: null,
    countInput: null,
    answer: null,
    budget: null,
  };
}
