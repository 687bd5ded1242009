import { util as undiciUtil, type Dispatcher } from 'undici';
import type { AbortLike } from './cancellation';

/** Chunks held before undici is asked to stop reading the provider's socket (the client is slow). */
const HIGH_WATER_CHUNKS = 64;

/**
 * A provider's response body, fed by undici's dispatcher (see `dispatchUpstream`): read it whole
 * (`text`) or chunk by chunk (`for await`), once. It replaces undici's `request()` body, a Node
 * Readable per response, whose stream machinery cost more per request than the gateway's own work
 * on the body (A/B: +20% req/s on the streamed scenarios, docs/benchmarks.md). Leaving a `for await` early (or `destroy`)
 * aborts the upstream request; a slow reader pauses the socket and resumes it as it catches up.
 */
export class UpstreamBody implements AsyncIterable<Buffer> {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private paused = false;
  private consumed = false;
  /** Whether the body is read chunk by chunk (pauses apply) or whole (null: not read yet). */
  private streaming: boolean | null = null;

  constructor(
    private readonly abort: (reason: Error) => void,
    private readonly resume: () => void,
  ) {}

  /** @internal from the dispatch handler; false asks undici to pause. */
  push(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.notify();
    if (this.chunks.length < HIGH_WATER_CHUNKS || this.streaming === false) return true;
    this.paused = true;
    return false;
  }

  /** @internal */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /** @internal */
  fail(err: Error): void {
    if (this.ended) return;
    this.failure = err;
    this.notify();
  }

  /**
   * True once the provider finished and every chunk was handed out: the chunk a reader holds is the
   * last one, so a relay can send it with the end of its own response (one socket write, not two).
   */
  get complete(): boolean {
    return this.ended && this.chunks.length === 0;
  }

  /** Whether a chunk is waiting to be read. */
  get pending(): boolean {
    return this.chunks.length > 0;
  }

  async text(): Promise<string> {
    this.claim(false);
    while (!this.ended) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.chunks.length === 1) return this.chunks[0]!.toString('utf8');
    return Buffer.concat(this.chunks, this.size).toString('utf8');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    this.claim(true);
    try {
      for (;;) {
        const chunk = this.chunks.shift();
        if (chunk !== undefined) {
          if (this.paused && this.chunks.length < HIGH_WATER_CHUNKS / 2) {
            this.paused = false;
            this.resume();
          }
          yield chunk;
          continue;
        }
        if (this.failure) throw this.failure;
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      // Left early (a break, a return, an error in the loop): the rest is not wanted.
      if (!this.ended) this.destroy();
    }
  }

  /** Stops the upstream request; the body ends with whatever had arrived. */
  destroy(): void {
    if (this.ended || this.failure) return;
    const err = new Error('upstream body discarded');
    this.failure = err;
    this.abort(err);
    this.notify();
  }

  private claim(streaming: boolean): void {
    if (this.consumed) throw new TypeError('the upstream body was already read');
    this.consumed = true;
    this.streaming = streaming;
  }

  private notify(): void {
    const wake = this.wake;
    if (wake !== null) {
      this.wake = null;
      wake();
    }
  }
}

export type DispatchedReply = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: UpstreamBody;
};

/**
 * One POST through undici's dispatcher with a plain handler (undici's own request() adds a Readable
 * body and its handler on top of the same call). Resolves at the response headers; rejects when no
 * response came (connect error, headers timeout, abort). `signal` aborts it at any time.
 */
export function dispatchUpstream(
  dispatcher: Dispatcher,
  opts: {
    url: string;
    headers: Record<string, string>;
    body: string | Buffer;
    timeoutMs: number;
    signal: AbortLike;
  },
): Promise<DispatchedReply> {
  return new Promise<DispatchedReply>((resolve, reject) => {
    const url = target(opts.url);
    const { signal } = opts;
    let abort: ((reason: Error) => void) | null = null;
    let body: UpstreamBody | null = null;
    let settled = false;
    const onAbort = (): void => {
      const reason = signal.reason instanceof Error ? signal.reason : new Error('This operation was aborted');
      abort?.(reason);
    };
    const finish = (): void => {
      signal.removeEventListener('abort', onAbort);
    };
    if (signal.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('This operation was aborted'));
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortRequest: (err?: Error) => void): void {
        abort = abortRequest;
        if (signal.aborted) onAbort();
      },
      onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
        if (status < 200) return true; // 1xx: the answer is still to come
        body = new UpstreamBody((reason) => abort?.(reason), resume);
        settled = true;
        resolve({ status, headers: undiciUtil.parseHeaders(rawHeaders), body });
        return true;
      },
      onData(chunk: Buffer): boolean {
        return body === null ? true : body.push(chunk);
      },
      onComplete(): void {
        finish();
        body?.end();
      },
      onError(err: Error): void {
        finish();
        if (!settled) {
          settled = true;
          reject(err);
        } else body?.fail(err);
      },
    };
    dispatcher.dispatch(
      {
        origin: url.origin,
        path: url.path,
        method: 'POST',
        headers: opts.headers,
        body: opts.body,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      },
      handler,
    );
  });
}

/** Parsed provider URLs: a gateway calls a handful of them, one parse each. */
const targets = new Map<string, { origin: string; path: string }>();

function target(href: string): { origin: string; path: string } {
  let t = targets.get(href);
  if (t === undefined) {
    const url = new URL(href);
    t = { origin: url.origin, path: url.pathname + url.search };
    if (targets.size >= 1024) targets.clear();
    targets.set(href, t);
  }
  return t;
}
