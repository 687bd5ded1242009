import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { LedgerServer } from '@sluice/apps/ledger';
import { createTestDatabase, uniqueTopic, waitFor, type TestDatabase } from '@sluice/testing';
import { verifySignature } from '../../apps/ledger/src/budgets/alert-webhook';
import { post, startTestLedger } from '../helpers/gateway-harness';
import { graphql } from '../helpers/graphql';
import { TEST_MASTER_KEY } from '../helpers/pipe';

// Budget alerts pushed to a webhook: the ledger in this process on the real Postgres (and Kafka, which
// it consumes), a real local HTTP receiver. Alerts are made the way gateways make them: a hard budget, a
// lease sync that takes a lease, a second that settles more than the limit (the threshold and the limit
// are then both reached: two budget.alerted.v1 events).

const SECRET = 'whsec_test_secret';
const SET_BUDGET = `mutation ($b: BudgetInput!, $k: String!) { setBudget(budget: $b, idempotencyKey: $k) { eventId created } }`;
const ALERTS = `query ($team: String) { budgetAlerts(team: $team) { eventId budgetId state
  delivery { state attempts lastStatus lastError deliveredAt failedAt nextAttemptAt } } }`;

type Delivery = {
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  failedAt: string | null;
  nextAttemptAt: string | null;
};
type Alert = { eventId: string; budgetId: string; state: string; delivery: Delivery | null };
type Received = { headers: IncomingHttpHeaders; body: string; at: number };

/** A webhook receiver that records every request and answers with `answer(request)`. */
class Receiver {
  readonly requests: Received[] = [];
  answer: (r: Received, sameIdBefore: number) => number = () => 200;
  private server: Server | null = null;

  async listen(port = 0): Promise<number> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = {
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        const before = this.requests.filter(
          (x) => x.headers['idempotency-key'] === r.headers['idempotency-key'],
        );
        this.requests.push(r);
        res.statusCode = this.answer(r, before.length);
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  of(eventId: string): Received[] {
    return this.requests.filter((r) => r.headers['idempotency-key'] === eventId);
  }
}

describe('budget alerts pushed to a webhook', { timeout: 180_000 }, () => {
  let db: TestDatabase;
  let topic: string;
  let ledger: LedgerServer | null = null;
  const receivers: Receiver[] = [];
  const others: LedgerServer[] = [];

  const webhookEnv = (url: string, extra: Record<string, string> = {}): Record<string, string> => ({
    SLUICE_BUDGET_ALERT_WEBHOOK_URL: url,
    SLUICE_BUDGET_ALERT_WEBHOOK_SECRET: SECRET,
    SLUICE_BUDGET_ALERT_WEBHOOK_BACKOFF_MS: '100',
    SLUICE_BUDGET_ALERT_WEBHOOK_BACKOFF_MAX_MS: '400',
    SLUICE_BUDGET_ALERT_WEBHOOK_POLL_MS: '100',
    SLUICE_BUDGET_ALERT_WEBHOOK_TIMEOUT_MS: '2000',
    ...extra,
  });

  async function restart(env: Record<string, string>): Promise<LedgerServer> {
    await ledger?.stop();
    ledger = await startTestLedger(db.url, topic, env);
    return ledger;
  }

  /** A hard budget for `team`, then the two syncs that take it past its threshold and its limit. */
  async function alertFor(l: LedgerServer, team: string): Promise<void> {
    const r = await graphql<{ setBudget: { created: boolean } }>(l.url, TEST_MASTER_KEY, SET_BUDGET, {
      b: {
        id: `${team}-month`,
        team,
        keyId: null,
        unit: 'nano-usd',
        period: 'month',
        limit: '1000',
        limitUsd: null,
        enforcement: 'hard',
        alertAtBps: 5000,
      },
      k: `set-${team}`,
    });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const first = await post(`${l.url}/internal/v1/budget-leases`, {
      instanceId: 'gw-1',
      teamId: team,
      keyId: null,
      acquire: 'all',
    });
    assert.equal(first.status, 200, first.text);
    const lease = (first.json['budgets'] as Array<{ lease: { leaseId: string } | null }>)[0]?.lease;
    assert.ok(lease, 'a lease was granted');
    const second = await post(`${l.url}/internal/v1/budget-leases`, {
      instanceId: 'gw-1',
      teamId: team,
      keyId: null,
      settle: [{ leaseId: lease.leaseId, usedAmount: '1500' }],
      acquire: 'none',
    });
    assert.equal(second.status, 200, second.text);
  }

  async function alerts(l: LedgerServer, team: string): Promise<Alert[]> {
    const r = await graphql<{ budgetAlerts: Alert[] }>(l.url, TEST_MASTER_KEY, ALERTS, { team });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!.budgetAlerts;
  }

  const settled = (as: Alert[], n: number): boolean =>
    as.length === n && as.every((a) => a.delivery !== null && a.delivery.state !== 'pending');

  before(async () => {
    db = await createTestDatabase('alert-webhook');
    topic = uniqueTopic('alert-webhook-usage');
  });

  after(async () => {
    for (const o of others) await o.stop();
    await ledger?.stop();
    for (const r of receivers) await r.close();
    await db?.drop();
  });

  it('delivers signed alerts, retries a receiver that fails twice, gives up after the last attempt', async () => {
    const rx = new Receiver();
    receivers.push(rx);
    const port = await rx.listen();
    // Team "flaky": 500 twice then 200 for each alert. Team "broken": always 500.
    rx.answer = (r, before) => {
      const body = JSON.parse(r.body) as { data: { teamId: string } };
      if (body.data.teamId === 'broken') return 500;
      return before < 2 ? 500 : 200;
    };
    const l = await restart(
      webhookEnv(`http://127.0.0.1:${port}/hooks/sluice?token=abc`, {
        SLUICE_BUDGET_ALERT_WEBHOOK_MAX_ATTEMPTS: '4',
      }),
    );
    await alertFor(l, 'flaky');
    await alertFor(l, 'broken');

    const flaky = await waitFor(
      'flaky alerts delivered',
      () => alerts(l, 'flaky'),
      (as) => settled(as, 2),
    );
    assert.deepEqual(flaky.map((a) => a.state).sort(), ['alert', 'exceeded']);
    for (const a of flaky) {
      assert.equal(a.delivery?.state, 'delivered');
      assert.equal(a.delivery?.attempts, 3);
      assert.equal(a.delivery?.lastStatus, 200);
      assert.ok(a.delivery?.deliveredAt);
      const got = rx.of(a.eventId);
      assert.equal(got.length, 3, 'two 500s, then the 200');
      assert.deepEqual(
        got.map((g) => g.headers['sluice-delivery-attempt']),
        ['1', '2', '3'],
      );
      for (const g of got) {
        // Signed over "<t>.<body>" with the secret, fresh at each attempt; a receiver can verify it.
        const sig = g.headers['sluice-signature'];
        assert.equal(typeof sig, 'string');
        assert.equal(verifySignature(SECRET, sig as string, g.body, Date.now() / 1000), true);
        assert.equal(verifySignature('wrong-secret', sig as string, g.body, Date.now() / 1000), false);
        assert.equal(g.headers['content-type'], 'application/json');
        const body = JSON.parse(g.body) as { id: string; type: string; data: Record<string, unknown> };
        assert.equal(body.id, a.eventId);
        assert.equal(body.type, 'budget.alerted.v1');
        assert.equal(body.data['budgetId'], 'flaky-month');
        assert.equal(body.data['state'], a.state);
        assert.equal(body.data['limit'], '1000');
      }
      // Retries wait (backoff, at least half of 100 ms then of 200 ms).
      assert.ok(got[1]!.at - got[0]!.at >= 40 && got[2]!.at - got[1]!.at >= 90, 'retries are backed off');
    }

    const broken = await waitFor(
      'broken alerts given up',
      () => alerts(l, 'broken'),
      (as) => settled(as, 2),
    );
    for (const a of broken) {
      assert.equal(a.delivery?.state, 'failed');
      assert.equal(a.delivery?.attempts, 4);
      assert.equal(a.delivery?.lastStatus, 500);
      assert.equal(a.delivery?.lastError, 'HTTP 500');
      assert.ok(a.delivery?.failedAt);
      assert.equal(rx.of(a.eventId).length, 4, 'no attempt after the last one');
    }
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(rx.requests.length, 2 * 3 + 2 * 4, 'nothing more is sent once delivered or given up');
  });

  it('sends nothing when no webhook is configured', async () => {
    const rx = receivers[0]!;
    const before = rx.requests.length;
    const l = await restart({});
    await alertFor(l, 'quiet');
    const quiet = await alerts(l, 'quiet');
    assert.equal(quiet.length, 2, 'the alerts are recorded');
    assert.ok(quiet.every((a) => a.delivery === null));
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const { rows } = await pg.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ledger.budget_alert_deliveries d JOIN ledger.events e USING (event_id)
          WHERE e.subject = 'quiet'`,
      );
      assert.equal(rows[0]?.n, '0', 'no delivery is queued');
    } finally {
      await pg.end();
    }
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(rx.requests.length, before);
  });

  it('keeps retrying across a ledger restart while the receiver is down, and two instances send once', async () => {
    const rx = new Receiver();
    receivers.push(rx);
    const port = await rx.listen();
    await rx.close(); // down: connections are refused
    const url = `http://127.0.0.1:${port}/hook`;
    let l = await restart(webhookEnv(url, { SLUICE_BUDGET_ALERT_WEBHOOK_MAX_ATTEMPTS: '50' }));
    await alertFor(l, 'patient');
    const failing = await waitFor(
      'failed attempts',
      () => alerts(l, 'patient'),
      (as) => as.length === 2 && as.every((a) => (a.delivery?.attempts ?? 0) >= 2),
    );
    for (const a of failing) {
      assert.equal(a.delivery?.state, 'pending');
      assert.match(a.delivery?.lastError ?? '', /ECONNREFUSED/);
      assert.ok(!(a.delivery?.lastError ?? '').includes('127.0.0.1:' + String(port) + '/hook'), 'no URL');
    }

    // The ledger goes down, the receiver comes up, a new ledger process takes over from the table.
    await l.stop();
    ledger = null;
    await rx.listen(port);
    l = await restart(webhookEnv(url, { SLUICE_BUDGET_ALERT_WEBHOOK_MAX_ATTEMPTS: '50' }));
    const done = await waitFor(
      'delivered after the restart',
      () => alerts(l, 'patient'),
      (as) => settled(as, 2),
    );
    for (const a of done) {
      assert.equal(a.delivery?.state, 'delivered');
      assert.equal(rx.of(a.eventId).length, 1);
    }

    // A second instance on the same database: every alert is sent once (claims with SKIP LOCKED).
    const second = await startTestLedger(db.url, topic, webhookEnv(url));
    others.push(second);
    const teams = ['multi-1', 'multi-2', 'multi-3', 'multi-4'];
    await Promise.all(teams.map((t, i) => alertFor(i % 2 === 0 ? l : second, t)));
    for (const t of teams) {
      const as = await waitFor(
        `${t} delivered`,
        () => alerts(l, t),
        (x) => settled(x, 2),
      );
      for (const a of as) {
        assert.equal(a.delivery?.state, 'delivered');
        assert.equal(rx.of(a.eventId).length, 1, `${t} ${a.state} sent once`);
      }
    }
  });
});
