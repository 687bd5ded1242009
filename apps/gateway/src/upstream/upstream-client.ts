import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Agent, errors as undiciErrors, request } from 'undici';
import type { AbortLike } from './cancellation';
import { CircuitBreaker } from './circuit-breaker';
import { dispatchUpstream, type DispatchedReply } from './upstream-dispatch';

export type UpstreamCall = {
  url: string;
  headers: Record<string, string>;
  body: string | Buffer;
  timeoutMs: number;
  signal: AbortLike;
};

export type UpstreamReply = DispatchedReply;

/** Connection failures worth another try (nothing reached the provider, or it went away). */
export function isRetryableNetworkError(err: unknown): boolean {
  if (err instanceof undiciErrors.ConnectTimeoutError || err instanceof undiciErrors.SocketError) return true;
  if (err instanceof undiciErrors.HeadersTimeoutError) return true;
  const code = (err as { code?: string })?.code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'UND_ERR_SOCKET'
  );
}

/**
 * All upstream HTTP goes through one undici Agent: keep-alive pools per origin, a connect timeout,
 * and a headers timeout; the body may take as long as the provider streams (bounded by the
 * provider's `timeoutMs` between chunks).
 */
@Injectable()
export class UpstreamClient implements OnApplicationShutdown {
  /** Shared by every caller, so all paths see a provider's health alike. */
  readonly breaker = new CircuitBreaker();

  private readonly agent = new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
    connections: 256,
    pipelining: 1,
    connect: { timeout: 10_000 },
  });

  async send(call: UpstreamCall): Promise<UpstreamReply> {
    return dispatchUpstream(this.agent, call);
  }

  /** Downloads an image for inlining (http/https only, at most 20 MB, 10 s). */
  async fetchImage(url: string): Promise<{ mediaType: string; data: string }> {
    if (!/^https?:\/\//i.test(url)) throw new Error('not an http(s) URL');
    const res = await request(url, {
      method: 'GET',
      dispatcher: this.agent,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const type = String(res.headers['content-type'] ?? '')
      .split(';', 1)[0]!
      .trim();
    if (res.statusCode !== 200 || !/^(image\/|application\/pdf$)/.test(type)) {
      await res.body.dump();
      throw new Error(`cannot inline ${res.statusCode} ${type}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res.body) {
      size += (c as Buffer).length;
      if (size > 20 * 1024 * 1024) {
        res.body.destroy();
        throw new Error('image larger than 20 MB');
      }
      chunks.push(c as Buffer);
    }
    return { mediaType: type, data: Buffer.concat(chunks).toString('base64') };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }
}
