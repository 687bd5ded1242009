import { createHmac, timingSafeEqual } from 'node:crypto';
import type { BudgetAlertedV1 } from './budget.events';

// The wire contract of budget alerts pushed to a webhook (pure: no Nest, no database, no clock read).
// Signed like Stripe's webhooks, so receivers can reuse what they know: `Sluice-Signature: t=<unix>,v1=<hex>`
// where hex = HMAC-SHA256(secret, "<t>.<raw body>"). The timestamp is signed with the body, so a receiver
// that refuses old timestamps refuses replays of a captured request.

export const SIGNATURE_HEADER = 'sluice-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const ATTEMPT_HEADER = 'sluice-delivery-attempt';
/** What receivers should accept between the signature's time and their clock (Stripe's default). */
export const DEFAULT_SIGNATURE_TOLERANCE_S = 300;

export type BudgetAlertWebhookBody = {
  /** The alert's event id: the same for every attempt, the receiver's deduplication key. */
  id: string;
  type: 'budget.alerted.v1';
  /** When the ledger recorded the alert. */
  createdAt: string;
  data: BudgetAlertedV1;
};

export function webhookBody(alert: { eventId: string; occurredAt: string; data: BudgetAlertedV1 }): string {
  const body: BudgetAlertWebhookBody = {
    id: alert.eventId,
    type: 'budget.alerted.v1',
    createdAt: alert.occurredAt,
    data: alert.data,
  };
  return JSON.stringify(body);
}

export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/**
 * What a receiver runs: true when `header` holds a v1 signature of `body` under `secret` whose timestamp is
 * within `toleranceSeconds` of `nowSeconds` (constant-time compare; several v1 entries are allowed, as
 * during a secret rotation).
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_SIGNATURE_TOLERANCE_S,
): boolean {
  if (!header) return false;
  let t: number | null = null;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && /^[0-9a-f]{64}$/.test(v)) candidates.push(v);
  }
  if (t === null || candidates.length === 0 || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  return candidates.some((c) => timingSafeEqual(Buffer.from(c), expected));
}

/**
 * The wait before the attempt after `attempts` failed ones: `base x 2^(attempts-1)`, capped, with "equal
 * jitter" (half fixed, half random) so that alerts that failed together do not retry in lockstep.
 * `random` is in [0, 1).
 */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random: number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40));
  return Math.round(exp / 2 + (exp / 2) * random);
}

/** A receiver's answer that counts as delivered: any 2xx (redirects are not followed). */
export function isDelivered(status: number): boolean {
  return status >= 200 && status < 300;
}
