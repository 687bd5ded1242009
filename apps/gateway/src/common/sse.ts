import type { ServerResponse } from 'node:http';

/** How long the head may wait for the first event before it is sent alone. */
export const SSE_HEAD_WAIT_MS = 20;

/**
 * Starts an event stream. The head goes out with the first event, in one socket write instead of two (a
 * flushed head was a write of its own per stream, ~4.6% of the gateway's CPU on streamed passthrough); when
 * the first event is slow to come (a model thinking, a slow provider), the head is sent alone after
 * `SSE_HEAD_WAIT_MS`, so a client still sees the stream open at once. `eventNow`: the caller writes an
 * event in this turn of the event loop or the next (the provider's first chunk is already here, or the
 * caller has events of its own to send): no timer is armed for the head then.
 */
export function writeSseHead(res: ServerResponse, eventNow = false): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  if (!eventNow) setTimeout(flushSseHead, SSE_HEAD_WAIT_MS, res).unref();
}

/**
 * Sends the head of a stream now when it still waits for an event (see `writeSseHead`); a no-op on the
 * wire when the head already went out with an event (`headersSent` is true from `writeHead` on).
 */
export function flushSseHead(res: ServerResponse): void {
  if (!res.destroyed && !res.writableEnded) res.flushHeaders();
}

/**
 * SSE text as the bytes that go out, encoded once. Written as a string, an encoder's output (a rope of
 * many small pieces) was flattened and measured in UTF-8 by `http`'s chunked `write` (`Buffer.byteLength`:
 * 2.8% of a translated Responses stream's CPU), encoded again by the response digest's SHA-256, and once
 * more by the socket's `writev`; with one non-Latin-1 character the measuring alone doubled.
 */
export function sseBytes(chunk: string | Uint8Array): Uint8Array {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

/**
 * Writes relayed SSE text or bytes; waits for `drain` when the client reads slower than we write (or
 * for `close` when it went away). Nothing is written to a destroyed response.
 */
export async function writeSse(res: ServerResponse, chunk: string | Uint8Array): Promise<void> {
  if (chunk.length === 0 || res.destroyed) return;
  if (!res.write(sseBytes(chunk))) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
}

/**
 * Ends a relayed stream with its last parts: the parts and the chunked terminator go to the socket in one
 * write (`end` uncorks once), where a `write` then an `end` were two. A relay whose provider already
 * finished sends its last frames this way, so a short stream costs one socket write in all (head, frames,
 * end). No-op on a response already ended or destroyed.
 */
export function endSseWith(res: ServerResponse, parts: readonly (string | Uint8Array)[]): void {
  if (res.destroyed || res.writableEnded) return;
  let last: string | Uint8Array | undefined;
  for (const part of parts) {
    if (part.length === 0) continue;
    if (last === undefined) last = part;
    // Text after text: one string, encoded once below.
    else if (typeof last === 'string' && typeof part === 'string') last += part;
    else {
      // Bytes among the parts: cork, so each write joins the end's single socket write.
      if (!res.socket?.writableCorked) res.cork();
      res.write(sseBytes(last));
      last = part;
    }
  }
  if (last === undefined) res.end();
  else res.end(sseBytes(last));
}
