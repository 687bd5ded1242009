import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { countTextTokens, type IrRequest, type IrStreamEvent } from '@sluice/protocols';
import { newRequestContext, type RequestContext } from '../common/request-context';
import { countGatewayTokens, requestSha256, responseSha256 } from './gateway-token-count';
import {
  markFirstToken,
  noteAnswer,
  responsesAnswerText,
  sseAnswerText,
  tapResponse,
  tapResponsesSse,
} from './response-tap';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

describe('response tap', () => {
  let server: Server;
  let url = '';
  const seen: RequestContext[] = [];
  const body = Buffer.from('{"model":"m","messages":[{"role":"user","content":"héllo"}]}');

  before(async () => {
    server = createServer((_req, res) => {
      const ctx = newRequestContext('r1', 'openai', 0);
      seen.push(ctx);
      tapResponse({ sluice: ctx, rawBody: body } as unknown as FastifyRequest, { raw: res } as FastifyReply);
      // Both ways a body leaves: string and bytes through write, the last piece through end.
      res.write('data: {"a":"ü"}\n\n');
      res.write(Buffer.from('data: [DONE]\n\n'));
      res.end('tail', 'utf8');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => server.close());

  it('hashes exactly the body bytes the client received, and the request body as received', async () => {
    const received = Buffer.from(await (await fetch(url)).arrayBuffer());
    const ctx = seen[0]!;
    assert.equal(responseSha256(ctx), sha(received));
    assert.equal(received.toString(), 'data: {"a":"ü"}\n\ndata: [DONE]\n\ntail');
    assert.equal(requestSha256(ctx), sha(body));
  });

  it('lets the relay keep writing after the usage event took the hash (a client hang-up records at close)', () => {
    const ctx = newRequestContext('r3', 'openai', 0);
    const writes: unknown[] = [];
    const raw = {
      write: (c: unknown) => writes.push(c) > 0,
      end: (c?: unknown) => writes.push(c),
    } as unknown;
    tapResponse({ sluice: ctx } as unknown as FastifyRequest, { raw } as FastifyReply);
    const out = raw as { write(c: string): boolean; end(c?: string): void };
    out.write('a');
    const atClose = responseSha256(ctx);
    assert.equal(atClose, sha('a'));
    assert.doesNotThrow(() => out.write('b'));
    assert.doesNotThrow(() => out.end('c'));
    assert.equal(responseSha256(ctx), sha('abc'));
  });

  it('marks the first content delta only (not thinking, not starts)', () => {
    const ctx = newRequestContext('r2', 'openai', 0);
    const thinking: IrStreamEvent = { type: 'block_delta', index: 0, delta: { type: 'thinking', text: 'x' } };
    markFirstToken(ctx, { type: 'message_start', id: 'm', model: 'x' });
    markFirstToken(ctx, thinking);
    assert.equal(ctx.firstTokenAt, null);
    markFirstToken(ctx, { type: 'block_delta', index: 1, delta: { type: 'arguments', json: '{' } });
    const first = ctx.firstTokenAt;
    assert.ok(first !== null);
    markFirstToken(ctx, { type: 'block_delta', index: 1, delta: { type: 'text', text: 'y' } });
    assert.equal(ctx.firstTokenAt, first);
  });

  it('keeps Responses passthrough deltas and reads their text afterwards', () => {
    const ctx = newRequestContext('r3', 'openai', 0);
    tapResponsesSse(ctx, { event: 'response.created', data: '{}' });
    assert.equal(ctx.firstTokenAt, null);
    tapResponsesSse(ctx, { event: 'response.output_text.delta', data: '{"delta":"Hello"}' });
    tapResponsesSse(ctx, { event: 'response.output_text.delta', data: '{"delta":" world"}' });
    assert.ok(ctx.firstTokenAt !== null);
    assert.equal(typeof ctx.answer === 'function' ? ctx.answer() : ctx.answer, 'Hello world');
    assert.equal(sseAnswerText(['not json', '{"delta":"a"}']), 'a');
    assert.equal(
      responsesAnswerText({
        output: [
          { type: 'reasoning', summary: [] },
          { type: 'message', content: [{ type: 'output_text', text: 'Hi' }] },
          { type: 'function_call', arguments: '{"city":"Paris"}' },
        ],
      }),
      'Hi\n{"city":"Paris"}',
    );
  });

  it('counts input and answer with the o200k tokenizer, and skips a body over the cap', () => {
    const ctx = newRequestContext('r4', 'openai', 0);
    const ir = {
      model: 'm',
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Count these few words please' }] }],
      tools: [],
      stream: false,
    } as unknown as IrRequest;
    ctx.countInput = ir;
    ctx.requestBody = Buffer.alloc(1000);
    noteAnswer(ctx, 'The answer is forty-two.');
    const counted = countGatewayTokens(ctx, 1000);
    // 3 reply priming + 3 message framing + the text.
    assert.equal(counted.input, 6 + countTextTokens('Count these few words please'));
    assert.equal(counted.output, countTextTokens('The answer is forty-two.'));
    assert.ok((counted.output ?? 0) > 3);
    assert.deepEqual(countGatewayTokens(ctx, 999), { input: null, output: counted.output });
    assert.equal(countGatewayTokens(ctx, 10).output, null, 'an answer longer than the cap is not counted');
    ctx.countInput = () => null;
    assert.equal(countGatewayTokens(ctx, 1000).input, null);
  });
});
