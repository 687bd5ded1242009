import type { BudgetAlertWebhookConfig } from '@sluice/config';
import type { SqlExecutor } from '@sluice/database';
import type { Logger } from '@sluice/observability';
import { request } from 'undici';
import { LEDGER_SCHEMA } from '../ledger.runtime';
import {
  ATTEMPT_HEADER,
  IDEMPOTENCY_HEADER,
  isDelivered,
  retryDelayMs,
  SIGNATURE_HEADER,
  signatureHeader,
  webhookBody,
} from './alert-webhook';
import type { BudgetAlertedV1 } from './budget.events';

const S = LEDGER_SCHEMA;
/** Deliveries claimed per round (sent concurrently). */
const CLAIM_BATCH = 20;
/** A claim outlives one attempt by this much before another instance may take the alert over. */
const CLAIM_MARGIN_S = 30;

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export type AlertDeliveryRow = {
  eventId: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  failedAt: Date | null;
};

/** Queues fresh alerts for the webhook, in the caller's transaction (the one that appended them). */
export async function enqueueAlertDeliveries(
  tx: SqlExecutor,
  alerts: ReadonlyArray<{ eventId: string; teamId: string }>,
): Promise<void> {
  if (alerts.length === 0) return;
  await tx.query(
    `INSERT INTO ${S}.budget_alert_deliveries (event_id, team_id)
     SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT (event_id) DO NOTHING`,
    [alerts.map((a) => a.eventId), alerts.map((a) => a.teamId)],
  );
}

type Claimed = { event_id: string; attempts: number; occurred_at: Date; data: BudgetAlertedV1 };
type Outcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/**
 * Pushes recorded budget alerts to the configured webhook, at least once: from the durable
 * `budget_alert_deliveries` rows, claimed with `FOR UPDATE SKIP LOCKED` (several ledger instances do not
 * send the same alert in the normal case), retried with exponential backoff and given up after
 * `maxAttempts`. No transaction is held open while a request is out (it would hold back every projection in
 * the cluster): the claim moves `next_attempt_at` past the attempt's timeout instead.
 */
export class BudgetAlertDelivery {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private readonly stopping = new AbortController();

  constructor(
    private readonly db: SqlExecutor,
    private readonly config: BudgetAlertWebhookConfig,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.wake(), this.config.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Looks for due deliveries now (after an alert is recorded); a round already running goes again. */
  wake(): void {
    if (this.stopping.signal.aborted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  /** Stops polling and aborts requests in flight (released at once for another instance or a restart). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopping.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        while (!this.stopping.signal.aborted && (await this.runOnce()) === CLAIM_BATCH);
      } catch (err) {
        this.logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'budget alert delivery failed',
        );
      }
    } while (this.again && !this.stopping.signal.aborted);
  }

  /** One round: claim what is due, send it, record the outcomes. Returns how many were claimed. */
  async runOnce(): Promise<number> {
    const { maxAttempts, timeoutMs } = this.config;
    // A claim that ran out after the last attempt (the process died mid-send): nothing more will be tried.
    await this.db.query(
      `UPDATE ${S}.budget_alert_deliveries
          SET failed_at = now(), last_error = coalesce(last_error, 'no answer recorded for the last attempt')
        WHERE delivered_at IS NULL AND failed_at IS NULL AND attempts >= $1 AND next_attempt_at <= now()`,
      [maxAttempts],
    );
    const claimed = await this.db.query<Claimed>(
      `UPDATE ${S}.budget_alert_deliveries d
          SET attempts = d.attempts + 1, last_attempt_at = now(),
              next_attempt_at = now() + make_interval(secs => $1)
         FROM (SELECT event_id FROM ${S}.budget_alert_deliveries
                WHERE delivered_at IS NULL AND failed_at IS NULL AND attempts < $2 AND next_attempt_at <= now()
                ORDER BY next_attempt_at LIMIT $3
                  FOR UPDATE SKIP LOCKED) due,
              ${S}.events e
        WHERE d.event_id = due.event_id AND e.event_id = d.event_id
        RETURNING d.event_id::text AS event_id, d.attempts, e.occurred_at, e.data`,
      [Math.ceil(timeoutMs / 1000) + CLAIM_MARGIN_S, maxAttempts, CLAIM_BATCH],
    );
    await Promise.all(claimed.map((c) => this.deliver(c)));
    return claimed.length;
  }

  private async deliver(c: Claimed): Promise<void> {
    const outcome = await this.send(c);
    if (this.stopping.signal.aborted && !outcome.ok) {
      // Cut short by stop(): released for the next instance or restart (the attempt still counts).
      await this.db.query(
        `UPDATE ${S}.budget_alert_deliveries SET next_attempt_at = now(), last_error = 'interrupted by shutdown'
          WHERE event_id = $1::uuid AND delivered_at IS NULL`,
        [c.event_id],
      );
      return;
    }
    if (outcome.ok) {
      await this.db.query(
        `UPDATE ${S}.budget_alert_deliveries SET delivered_at = now(), last_status = $2, last_error = NULL
          WHERE event_id = $1::uuid`,
        [c.event_id, outcome.status],
      );
      this.logger.info(
        { eventId: c.event_id, attempt: c.attempts, status: outcome.status },
        'budget alert delivered',
      );
      return;
    }
    const last = c.attempts >= this.config.maxAttempts;
    const delayMs = retryDelayMs(c.attempts, this.config.backoffMs, this.config.backoffMaxMs, this.random());
    await this.db.query(
      `UPDATE ${S}.budget_alert_deliveries
          SET last_status = $2, last_error = $3,
              failed_at = CASE WHEN $4::boolean THEN now() END,
              next_attempt_at = CASE WHEN $4::boolean THEN next_attempt_at
                                     ELSE now() + make_interval(secs => $5::double precision) END
        WHERE event_id = $1::uuid`,
      [c.event_id, outcome.status, outcome.error, last, delayMs / 1000],
    );
    // The URL (it may carry a token), the secret and the body are never logged.
    this.logger.warn(
      {
        eventId: c.event_id,
        attempt: c.attempts,
        status: outcome.status,
        error: outcome.error,
        gaveUp: last,
      },
      last ? 'budget alert delivery given up' : 'budget alert delivery failed, will retry',
    );
  }

  private async send(c: Claimed): Promise<Outcome> {
    const body = webhookBody({ eventId: c.event_id, occurredAt: c.occurred_at.toISOString(), data: c.data });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'sluice-ledger',
      [IDEMPOTENCY_HEADER]: c.event_id,
      [ATTEMPT_HEADER]: String(c.attempts),
    };
    if (this.config.secret !== undefined)
      headers[SIGNATURE_HEADER] = signatureHeader(this.config.secret, body, Date.now() / 1000);
    try {
      const res = await request(this.config.url, {
        method: 'POST',
        headers,
        body,
        headersTimeout: this.config.timeoutMs,
        bodyTimeout: this.config.timeoutMs,
        signal: AbortSignal.any([AbortSignal.timeout(this.config.timeoutMs), this.stopping.signal]),
      });
      // The answer's body is read and dropped (never stored or logged), so the connection can be reused.
      await res.body.dump();
      if (isDelivered(res.statusCode)) return { ok: true, status: res.statusCode };
      return { ok: false, status: res.statusCode, error: `HTTP ${res.statusCode}` };
    } catch (err) {
      return { ok: false, status: null, error: describeError(err) };
    }
  }
}

/** An error's code and message, short, without anything that came from the receiver. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return 'request failed';
  const code = (err as Error & { code?: unknown }).code;
  const cause = (err as Error & { cause?: unknown }).cause;
  const inner = cause instanceof Error ? `: ${cause.message}` : '';
  return `${typeof code === 'string' ? `${code} ` : ''}${err.name}: ${err.message}${inner}`.slice(0, 300);
}

/** Delivery state of alerts by event id (for the GraphQL alert view). */
export async function deliveriesOf(
  db: SqlExecutor,
  eventIds: readonly string[],
): Promise<Map<string, AlertDeliveryRow>> {
  if (eventIds.length === 0) return new Map();
  const rows = await db.query<{
    event_id: string;
    attempts: number;
    next_attempt_at: Date;
    last_attempt_at: Date | null;
    last_status: number | null;
    last_error: string | null;
    delivered_at: Date | null;
    failed_at: Date | null;
  }>(
    `SELECT event_id::text AS event_id, attempts, next_attempt_at, last_attempt_at, last_status, last_error,
            delivered_at, failed_at
       FROM ${S}.budget_alert_deliveries WHERE event_id = ANY($1::uuid[])`,
    [eventIds],
  );
  return new Map(
    rows.map((r) => {
      const state: DeliveryState = r.delivered_at ? 'delivered' : r.failed_at ? 'failed' : 'pending';
      return [
        r.event_id,
        {
          eventId: r.event_id,
          state,
          attempts: r.attempts,
          nextAttemptAt: state === 'pending' ? r.next_attempt_at : null,
          lastAttemptAt: r.last_attempt_at,
          lastStatus: r.last_status,
          lastError: r.last_error,
          deliveredAt: r.delivered_at,
          failedAt: r.failed_at,
        },
      ];
    }),
  );
}
