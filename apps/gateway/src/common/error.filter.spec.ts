import assert from 'node:assert/strict';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Logger } from '@sluice/observability';
import type { GatewayReply, GatewayRequest } from './exchange';
import { sendError } from './error.filter';
import { newRequestContext } from './request-context';

function replyOf(res: ServerResponse): GatewayReply {
  const reply: GatewayReply = {
    raw: res,
    get sent() {
      return res.headersSent;
    },
    status: (code) => ((res.statusCode = code), reply),
    header: (name, value) => (res.setHeader(name, value), reply),
    send: (payload) => res.end(typeof payload === 'string' ? payload : JSON.stringify(payload)),
    hijack: () => undefined,
  };
  return reply;
}

function recordingLogger(): { logger: Logger; errors: unknown[][] } {
  const errors: unknown[][] = [];
  const noop = (): void => undefined;
  const logger = { error: (...a: unknown[]) => errors.push(a), warn: noop, info: noop, debug: noop };
  return { logger: logger as unknown as Logger, errors };
}

function abortError(): Error {
  const err = new Error('This operation was aborted');
  err.name = 'AbortError';
  return err;
}

/**
 * A request to a real server whose handler calls sendError with `exception`: after the client hung
 * up (`hangUp`), or while it still waits. Returns the request's context, the error logs and what
 * the client received (null when it hung up).
 */
async function failWith(exception: unknown, hangUp: boolean) {
  const { logger, errors } = recordingLogger();
  let ctxOut: GatewayRequest['sluice'] | undefined;
  let handled: () => void = () => undefined;
  const done = new Promise<void>((r) => (handled = r));
  const server = createServer((req, res) => {
    const gw = {
      id: 'req-1',
      method: req.method!,
      url: '/v1/responses',
      headers: req.headers,
      query: {},
      body: {},
      sluice: newRequestContext('req-1', 'openai', 0),
    } as GatewayRequest;
    ctxOut = gw.sluice;
    const fail = (): void => {
      sendError(exception, gw, replyOf(res), logger);
      handled();
    };
    if (hangUp) res.once('close', fail);
    else fail();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  let received: { status: number; body: string } | null = null;
  try {
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/responses' }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          received = { status: res.statusCode!, body };
          resolve();
        });
      });
      req.on('error', () => resolve());
      req.end('{}', () => {
        if (hangUp) setTimeout(() => req.destroy(), 20);
      });
    });
    await done;
  } finally {
    server.close();
  }
  return { ctx: ctxOut!, errors, received: received as { status: number; body: string } | null };
}

describe('sendError', () => {
  it('records a client that hung up as client_closed: no answer, no error log', async () => {
    const { ctx, errors, received } = await failWith(abortError(), true);
    assert.equal(received, null);
    assert.equal(ctx.errorCode, 'client_closed');
    assert.deepEqual(errors, []);
  });

  it('answers an unexpected failure with a 500 in the protocol shape and logs it', async () => {
    const { ctx, errors, received } = await failWith(abortError(), false);
    assert.equal(received?.status, 500);
    assert.equal((JSON.parse(received?.body ?? '') as { error: { type: string } }).error.type, 'api_error');
    assert.equal(ctx.errorCode, 'internal_error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]![1], 'request failed');
  });
});
