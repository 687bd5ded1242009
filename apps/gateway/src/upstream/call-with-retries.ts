import type { ProviderConfig } from '@sluice/config';
import type { Logger } from '@sluice/observability';
import { decodeError, makeError, ProtocolError, type ProtocolId } from '@sluice/protocols';
import type { AbortLike } from './cancellation';
import { isRetryableNetworkError, type UpstreamClient, type UpstreamReply } from './upstream-client';

export type Attempt =
  | { kind: 'ok'; res: UpstreamReply }
  | { kind: 'failed'; status: number; error: ProtocolError; retryable: boolean };

export type RetryCall = {
  upstream: UpstreamClient;
  provider: ProviderConfig;
  /** The protocol the provider answers in: decides how its error bodies are read. */
  target: ProtocolId;
  url: string;
  headers: Record<string, string>;
  body: string | Buffer;
  signal: AbortLike;
  logger: Logger;
};

export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 409, 425, 429, 500, 502, 503, 504, 529]);
const MAX_ATTEMPTS_PER_PROVIDER = 3;
const MAX_RETRY_AFTER_MS = 10_000;

/**
 * One provider, up to three attempts: retryable statuses and connection failures are tried again
 * after an exponential wait (or the provider's `retry-after`, when it is short enough); anything
 * else comes back at once. A failure carries the provider's error, decoded, and whether another
 * provider of the route's fallback chain is worth trying.
 */
export async function callWithRetries(call: RetryCall): Promise<Attempt> {
  const { provider, signal } = call;
  const breaker = call.upstream.breaker;
  if (!breaker.allow(provider.name)) {
    return {
      kind: 'failed',
      status: 503,
      error: new ProtocolError(
        makeError(
          503,
          `Provider '${provider.name}' is failing; its circuit breaker is open.`,
          'circuit_open',
        ),
      ),
      retryable: true,
    };
  }
  let outcome: Attempt;
  try {
    outcome = await attempts(call);
  } catch (err) {
    // The client went away: nothing learnt about the provider. Anything else counts against it.
    if (signal.aborted) breaker.release(provider.name);
    else breaker.failure(provider.name);
    throw err;
  }
  // A client error says nothing about the provider's health; a retryable failure does.
  if (outcome.kind === 'failed' && outcome.retryable) breaker.failure(provider.name);
  else breaker.success(provider.name);
  return outcome;
}

async function attempts(call: RetryCall): Promise<Attempt> {
  const { provider, signal } = call;
  let last: Attempt | null = null;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS_PER_PROVIDER; attempt++) {
    let waitMs = 250 * 2 ** (attempt - 1);
    try {
      const res = await call.upstream.send({
        url: call.url,
        headers: call.headers,
        body: call.body,
        timeoutMs: provider.timeoutMs,
        signal,
      });
      if (res.status >= 200 && res.status < 300) return { kind: 'ok', res };
      const text = await res.body.text().catch(() => '');
      const error = decodeError(call.target, res.status, text);
      const retryable = RETRYABLE_STATUS.has(res.status);
      last = { kind: 'failed', status: res.status, error: new ProtocolError(error), retryable };
      if (!retryable) return last;
      const retryAfter = retryAfterMs(res.headers['retry-after']);
      if (retryAfter !== null) waitMs = retryAfter;
      if (waitMs > MAX_RETRY_AFTER_MS) return last;
    } catch (err) {
      if (signal.aborted) throw err;
      if (!isRetryableNetworkError(err)) throw err;
      call.logger.warn(
        { provider: provider.name, err: (err as Error).message },
        'upstream connection failed',
      );
      last = {
        kind: 'failed',
        status: 502,
        error: new ProtocolError(
          makeError(502, `Provider '${provider.name}' could not be reached.`, 'upstream_unreachable'),
        ),
        retryable: true,
      };
    }
    if (attempt < MAX_ATTEMPTS_PER_PROVIDER) await sleep(waitMs, signal);
  }
  return last!;
}

/** The first non-empty header of `names` (provider request ids go by several names). */
export function firstHeader(headers: UpstreamReply['headers'], names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = headers[n];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

function retryAfterMs(value: string | string[] | undefined): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(v);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

async function sleep(ms: number, signal: AbortLike): Promise<void> {
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
