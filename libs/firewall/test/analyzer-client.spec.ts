import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpAnalyzerClient, codePointToUtf16 } from '../src';

type Handler = (
  body: Record<string, unknown>,
  req: IncomingMessage,
) => { status?: number; json?: unknown; delayMs?: number };

describe('HttpAnalyzerClient (Tokligence/Presidio HTTP filter protocol)', () => {
  let server: Server;
  let base = '';
  let handler: Handler = () => ({ json: { allowed: true, entities: [] } });
  const seen: { body: Record<string, unknown>; auth: string | undefined; custom: string | undefined }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw) as Record<string, unknown>;
        seen.push({
          body,
          auth: req.headers['authorization'],
          custom: req.headers['x-tenant-tag'] as string | undefined,
        });
        const r = handler(body, req);
        const reply = (): void => {
          res.writeHead(r.status ?? 200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(r.json ?? {}));
        };
        if (r.delayMs) setTimeout(reply, r.delayMs);
        else reply();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends the protocol body and headers, and converts code-point entity offsets to UTF-16', async () => {
    const text = '😀 Hi, I am Jane Doe from Paris';
    // The sidecar counts code points: the emoji is one.
    handler = () => ({
      json: {
        allowed: true,
        block: false,
        entities: [
          { type: 'PERSON', mask: '[PERSON_1]', start: 11, end: 19, confidence: 0.9 },
          { type: 'LOCATION', start: 25, end: 30, confidence: 0.8 },
          { type: 'bad' },
        ],
      },
    });
    const client = new HttpAnalyzerClient({
      endpoint: `${base}/v1/filter/input`,
      token: 't0k',
      headers: { 'x-tenant-tag': 'acme' },
      onError: 'allow',
      fingerprintKey: 'k',
    });
    const r = await client.analyze({
      direction: 'input',
      text,
      model: 'gpt-x',
      tenantId: 'team-1',
      sessionId: 's-1',
    });
    assert.equal(r.status, 'ok');
    assert.equal(r.block, false);
    assert.deepEqual(
      r.findings.map((f) => [f.detectorId, f.kind, f.label, text.slice(f.start, f.end)]),
      [
        ['external_person', 'pii', 'PERSON', 'Jane Doe'],
        ['external_location', 'pii', 'LOCATION', 'Paris'],
      ],
    );
    const last = seen[seen.length - 1]!;
    assert.equal(last.body['input'], text);
    assert.equal(last.body['model'], 'gpt-x');
    assert.equal(last.body['tenant_id'], 'team-1');
    assert.equal(last.body['session_id'], 's-1');
    assert.equal(last.auth, 'Bearer t0k');
    assert.equal(last.custom, 'acme');
  });

  it('block or allowed:false from the analyzer blocks', async () => {
    handler = () => ({ json: { allowed: false, block_reason: 'critical entity' } });
    const client = new HttpAnalyzerClient({ endpoint: base, onError: 'allow' });
    const r = await client.analyze({ direction: 'output', text: 'x' });
    assert.equal(r.status, 'ok');
    assert.equal(r.block, true);
    assert.equal(r.status === 'ok' ? r.blockReason : undefined, 'critical entity');
    assert.equal(seen[seen.length - 1]!.body['output'], 'x');
  });

  it('timeout and HTTP errors follow on_error (allow or block)', async () => {
    handler = () => ({ delayMs: 300, json: { allowed: true } });
    const allow = new HttpAnalyzerClient({ endpoint: base, onError: 'allow', timeoutMs: 50 });
    const a = await allow.analyze({ direction: 'input', text: 'x' });
    assert.equal(a.status, 'error');
    assert.equal(a.block, false);
    handler = () => ({ status: 500, json: { error: 'boom' } });
    const block = new HttpAnalyzerClient({ endpoint: base, onError: 'block' });
    const b = await block.analyze({ direction: 'input', text: 'x' });
    assert.equal(b.status, 'error');
    assert.equal(b.block, true);
    assert.match(b.status === 'error' ? b.error : '', /HTTP 500/);
  });

  it('circuit breaker opens after consecutive failures, half-opens after the cooldown, closes on success', async () => {
    let now = 1_000;
    handler = () => ({ status: 503 });
    const client = new HttpAnalyzerClient({
      endpoint: base,
      onError: 'block',
      breaker: { failureThreshold: 2, cooldownMs: 10_000 },
      now: () => now,
    });
    const calls = (): number => seen.length;
    const before = calls();
    await client.analyze({ direction: 'input', text: 'x' });
    assert.equal(client.breakerState, 'closed');
    await client.analyze({ direction: 'input', text: 'x' });
    assert.equal(client.breakerState, 'open');
    const skipped = await client.analyze({ direction: 'input', text: 'x' });
    assert.equal(skipped.status, 'circuit_open');
    assert.equal(skipped.block, true);
    assert.equal(calls() - before, 2, 'no call while open');
    now += 10_000;
    assert.equal(client.breakerState, 'half_open');
    // A failed trial re-opens at once.
    await client.analyze({ direction: 'input', text: 'x' });
    assert.equal(client.breakerState, 'open');
    now += 10_000;
    handler = () => ({ json: { allowed: true, entities: [] } });
    const ok = await client.analyze({ direction: 'input', text: 'x' });
    assert.equal(ok.status, 'ok');
    assert.equal(client.breakerState, 'closed');
  });

  it('an unreachable analyzer is an error, not a throw', async () => {
    const client = new HttpAnalyzerClient({
      endpoint: 'http://127.0.0.1:1/v1/filter',
      onError: 'allow',
      timeoutMs: 500,
    });
    const r = await client.analyze({ direction: 'input', text: 'x' });
    assert.equal(r.status, 'error');
    assert.equal(r.block, false);
  });

  it('codePointToUtf16 handles astral characters', () => {
    const t = 'a😀b😀c';
    assert.deepEqual(codePointToUtf16(t, [0, 1, 2, 3, 4, 5, 99]), [0, 1, 3, 4, 6, 7, 7]);
  });
});
