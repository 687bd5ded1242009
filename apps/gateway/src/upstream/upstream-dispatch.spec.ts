import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { Cancellation, type AbortLike } from './cancellation';
import { dispatchUpstream, UpstreamBody } from './upstream-dispatch';

/** dispatchUpstream and its body against a real local HTTP server (no mocks of undici). */
describe('dispatchUpstream', () => {
  let server: Server;
  let base: string;
  const agent = new Agent({ connections: 8 });
  const closed: string[] = [];
  const routes: Record<string, (res: ServerResponse, body: string) => void> = {};

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.on('close', () => {
          if (!res.writableFinished) closed.push(req.url ?? '');
        });
        routes[req.url ?? '']!(res, body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await agent.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const call = (path: string, signal: AbortLike = new AbortController().signal) =>
    dispatchUpstream(agent, {
      url: `${base}${path}`,
      headers: { 'content-type': 'application/json' },
      body: '{"q":"é"}',
      timeoutMs: 5_000,
      signal,
    });

  it('reads a body sent in pieces whole, with status and headers, and sends the request body', async () => {
    routes['/json'] = (res, body) => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'up-1' });
      res.write('{"echo":');
      setTimeout(() => res.end(`${body}}`), 5);
    };
    const r = await call('/json');
    assert.equal(r.status, 201);
    assert.equal(r.headers['x-request-id'], 'up-1');
    assert.deepEqual(JSON.parse(await r.body.text()), { echo: { q: 'é' } });
    await assert.rejects(r.body.text(), /already read/);
  });

  it('iterates the chunks in order, pausing a slow reader without losing a byte', async () => {
    routes['/many'] = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const next = (): void => {
        while (i < 500) {
          const more = res.write(`data: ${i++}\n\n`);
          if (!more) return void res.once('drain', next);
        }
        res.end();
      };
      next();
    };
    const r = await call('/many');
    let text = '';
    let reads = 0;
    for await (const chunk of r.body) {
      text += chunk.toString();
      if (++reads % 10 === 0) await sleep(1);
    }
    const expected = Array.from({ length: 500 }, (_, i) => `data: ${i}\n\n`).join('');
    assert.equal(text, expected);
  });

  it('leaving the loop early aborts the upstream request', async () => {
    routes['/endless'] = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const t = setInterval(() => res.write('data: tick\n\n'), 2);
      res.on('close', () => clearInterval(t));
    };
    const r = await call('/endless');
    for await (const chunk of r.body) {
      assert.match(chunk.toString(), /tick/);
      break;
    }
    const deadline = Date.now() + 2_000;
    while (!closed.includes('/endless') && Date.now() < deadline) await sleep(10);
    assert.ok(closed.includes('/endless'), 'the server saw the request go away');
  });

  it('an abort before the headers rejects; an abort mid-body fails the reader', async () => {
    routes['/slow'] = (res) => setTimeout(() => res.end('late'), 2_000);
    const early = new AbortController();
    const pending = call('/slow', early.signal);
    setTimeout(() => early.abort(new Error('client went away')), 20);
    await assert.rejects(pending, /client went away/);

    routes['/half'] = (res) => {
      res.writeHead(200);
      res.write('first');
    };
    const late = new AbortController();
    const r = await call('/half', late.signal);
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of r.body) {
          seen.push(chunk.toString());
          late.abort(new Error('hung up'));
        }
      })(),
      /hung up/,
    );
    assert.deepEqual(seen, ['first']);
  });

  it('a Cancellation (the client hung up) aborts like a signal, before the headers and mid-body', async () => {
    routes['/slow2'] = (res) => setTimeout(() => res.end('late'), 2_000);
    const early = new Cancellation();
    const pending = call('/slow2', early);
    setTimeout(() => early.abort(), 20);
    await assert.rejects(pending, { name: 'AbortError' });
    routes['/half2'] = (res) => {
      res.writeHead(200);
      res.write('first');
    };
    const late = new Cancellation();
    const r = await call('/half2', late);
    await assert.rejects(
      (async () => {
        for await (const _ of r.body) late.abort(new Error('hung up'));
      })(),
      /hung up/,
    );
    const deadline = Date.now() + 2_000;
    while (!closed.includes('/half2') && Date.now() < deadline) await sleep(10);
    assert.ok(closed.includes('/half2'), 'the provider saw the request go away');
  });

  it('an already aborted signal never sends the request', async () => {
    let hits = 0;
    routes['/never'] = (res) => {
      hits++;
      res.end('no');
    };
    const c = new AbortController();
    c.abort(new Error('gone'));
    await assert.rejects(call('/never', c.signal), /gone/);
    await sleep(20);
    assert.equal(hits, 0);
  });

  it('a connection refused rejects with undici’s error', async () => {
    await assert.rejects(
      dispatchUpstream(agent, {
        url: 'http://127.0.0.1:9/v1/chat/completions',
        headers: {},
        body: '{}',
        timeoutMs: 2_000,
        signal: new AbortController().signal,
      }),
      (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED',
    );
  });
});

describe('UpstreamBody', () => {
  it('asks undici to pause a chunk-by-chunk reader 64 chunks behind, and resumes it at half', async () => {
    let resumes = 0;
    const body = new UpstreamBody(
      () => undefined,
      () => (resumes += 1),
    );
    const it = body[Symbol.asyncIterator]();
    const accepted: boolean[] = [];
    for (let i = 0; i < 64; i++) accepted.push(body.push(Buffer.from(String(i))));
    assert.deepEqual(accepted.slice(0, 63), Array(63).fill(true));
    assert.equal(accepted[63], false, 'the 64th queued chunk pauses the socket');
    const read: string[] = [];
    for (let i = 0; i < 32; i++) read.push(((await it.next()).value as Buffer).toString());
    assert.equal(resumes, 0, 'still 32 behind');
    read.push(((await it.next()).value as Buffer).toString());
    assert.equal(resumes, 1, 'resumed once fewer than half are queued');
    body.end();
    for (let r = await it.next(); !r.done; r = await it.next()) read.push(r.value.toString());
    assert.deepEqual(
      read,
      Array.from({ length: 64 }, (_, i) => String(i)),
    );
  });

  it('never pauses a reader of the whole text', async () => {
    const body = new UpstreamBody(
      () => undefined,
      () => undefined,
    );
    const text = body.text();
    for (let i = 0; i < 100; i++) assert.equal(body.push(Buffer.from('x')), true);
    body.end();
    assert.equal(await text, 'x'.repeat(100));
  });

  it('says whether a chunk waits and when the chunk handed out is the last one', async () => {
    const body = new UpstreamBody(
      () => undefined,
      () => undefined,
    );
    const it = body[Symbol.asyncIterator]();
    assert.equal(body.pending, false);
    body.push(Buffer.from('a'));
    body.push(Buffer.from('b'));
    assert.equal(body.pending, true);
    assert.equal(((await it.next()).value as Buffer).toString(), 'a');
    assert.equal(body.complete, false, 'b still queued, and the provider has not finished');
    body.end();
    assert.equal(body.complete, false, 'finished, but b is still queued');
    assert.equal(((await it.next()).value as Buffer).toString(), 'b');
    assert.equal(body.complete, true, 'b was the last chunk');
    assert.equal(body.pending, false);
    assert.equal((await it.next()).done, true);
  });

  it('is never complete after a failure', async () => {
    const body = new UpstreamBody(
      () => undefined,
      () => undefined,
    );
    body.push(Buffer.from('a'));
    body.fail(new Error('reset'));
    const it = body[Symbol.asyncIterator]();
    assert.equal(((await it.next()).value as Buffer).toString(), 'a');
    assert.equal(body.complete, false);
    await assert.rejects(it.next(), /reset/);
  });
});
