import type { ServerResponse } from 'node:http';

export function writeSseHead(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
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
