import type { ServerResponse } from 'node:http';

/** How long the head may wait for the first event before it is sent alone. */
export const SSE_HEAD_WAIT_MS = 20;

/**
 * Starts an event stream. The head goes out with the first event, in one socket write instead of two (a
 * flushed head was a write of its own per stream, ~4.6% of the gateway's CPU on streamed passthrough); when
 * the first event is slow to come (a model thinking, a slow provider), the head is sent alone after
 * `SSE_HEAD_WAIT_MS`, so a client still sees the stream open at once.
 */
export function writeSseHead(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  setTimeout(flushHeadIfWaiting, SSE_HEAD_WAIT_MS, res).unref();
}

/** A no-op on the wire when the head already went out with an event (`headersSent` is true from `writeHead` on). */
function flushHeadIfWaiting(res: ServerResponse): void {
  if (!res.destroyed && !res.writableEnded) res.flushHeaders();
}

/** Writes one `data:` event; waits for `drain` when the client reads slower than we write. */
export async function writeSseData(res: ServerResponse, data: string, event?: string): Promise<void> {
  const frame = event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
  if (!res.write(frame)) {
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

export function endSse(res: ServerResponse, openaiDone: boolean): void {
  if (res.destroyed) return;
  res.end(openaiDone ? 'data: [DONE]\n\n' : undefined);
}
