import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { isDelivered, retryDelayMs, signatureHeader, verifySignature, webhookBody } from './alert-webhook';

const BODY = webhookBody({
  eventId: '0190f4a2-7c1e-7000-8000-000000000001',
  occurredAt: '2026-11-27T10:00:00.000Z',
  data: {
    budgetId: 'b1',
    teamId: 'acme',
    keyId: null,
    periodStart: '2026-11-01T00:00:00.000Z',
    state: 'exceeded',
    enforcement: 'hard',
    unit: 'nano-usd',
    limit: '1000',
    committed: '1200',
  },
});

describe('budget alert webhook contract', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 as Stripe does', () => {
    const header = signatureHeader('whsec_test', BODY, 1_800_000_000.7);
    const hex = createHmac('sha256', 'whsec_test').update(`1800000000.${BODY}`).digest('hex');
    assert.equal(header, `t=1800000000,v1=${hex}`);
  });

  it('verifies a good signature and refuses a wrong secret, an edited body and an old timestamp', () => {
    const header = signatureHeader('s3cret', BODY, 1_800_000_000);
    assert.equal(verifySignature('s3cret', header, BODY, 1_800_000_100), true);
    assert.equal(verifySignature('other', header, BODY, 1_800_000_100), false);
    assert.equal(verifySignature('s3cret', header, BODY.replace('1200', '1201'), 1_800_000_100), false);
    // A replay ten minutes later is refused with the default five-minute tolerance.
    assert.equal(verifySignature('s3cret', header, BODY, 1_800_000_600), false);
    assert.equal(verifySignature('s3cret', undefined, BODY, 1_800_000_000), false);
    assert.equal(verifySignature('s3cret', 't=1800000000', BODY, 1_800_000_000), false);
    // The timestamp is part of what is signed: moving it breaks the signature.
    assert.equal(
      verifySignature('s3cret', header.replace('t=1800000000', 't=1800000500'), BODY, 1_800_000_500),
      false,
    );
    // Several v1 entries (a secret being rotated): any one matching is enough.
    const [, good] = header.split(',');
    assert.equal(
      verifySignature('s3cret', `t=1800000000,v1=${'0'.repeat(64)},${good}`, BODY, 1_800_000_000),
      true,
    );
  });

  it('carries the alert event id as the idempotency key', () => {
    const parsed = JSON.parse(BODY) as { id: string; type: string; data: { state: string } };
    assert.equal(parsed.id, '0190f4a2-7c1e-7000-8000-000000000001');
    assert.equal(parsed.type, 'budget.alerted.v1');
    assert.equal(parsed.data.state, 'exceeded');
  });

  it('backs off exponentially with equal jitter, capped', () => {
    assert.equal(retryDelayMs(1, 1000, 60_000, 0), 500);
    assert.equal(retryDelayMs(1, 1000, 60_000, 0.999999), 1000);
    assert.equal(retryDelayMs(2, 1000, 60_000, 0), 1000);
    assert.equal(retryDelayMs(4, 1000, 60_000, 0), 4000);
    assert.equal(retryDelayMs(30, 1000, 60_000, 0), 30_000);
    assert.equal(retryDelayMs(500, 1000, 60_000, 1), 60_000);
    for (let a = 1; a < 20; a++)
      assert.ok(retryDelayMs(a + 1, 1000, 3_600_000, 0) >= retryDelayMs(a, 1000, 3_600_000, 0));
  });

  it('counts only 2xx as delivered', () => {
    assert.equal(isDelivered(200), true);
    assert.equal(isDelivered(204), true);
    assert.equal(isDelivered(301), false);
    assert.equal(isDelivered(500), false);
    assert.equal(isDelivered(429), false);
  });
});
