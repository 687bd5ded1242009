import { Client } from 'pg';
import { makeEnvelope, USAGE_RECORDED_V1, type EventEnvelope, type UsageRecordedV1 } from '@sluice/events';

export const TEST_MASTER_KEY = 'tok_testMasterKey0123456789abcdefghijklmnopqrstu';

/** A usage event as the gateway would emit it (for tests that publish to the topic directly). */
export function usageEvent(
  i: number,
  teamId = `team-${i % 7}`,
): EventEnvelope<typeof USAGE_RECORDED_V1, UsageRecordedV1> {
  const requestId = `req-${String(i).padStart(6, '0')}-${Math.random().toString(36).slice(2, 8)}`;
  return makeEnvelope({
    type: USAGE_RECORDED_V1,
    subject: teamId,
    producer: 'test',
    correlationId: requestId,
    data: {
      requestId,
      teamId,
      keyId: `key-${i % 3}`,
      endpoint: 'openai.chat_completions',
      modelRequested: 'loopback',
      modelServed: 'loopback',
      provider: 'loopback',
      providerRequestId: null,
      stream: i % 2 === 0,
      status: 200,
      errorCode: null,
      usage: {
        inputUncachedTokens: 10 + (i % 5),
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 3,
        reasoningTokens: 0,
      },
      rawUsage: { prompt_tokens: 10 + (i % 5), completion_tokens: 3 },
      receivedAt: new Date().toISOString(),
      latencyMs: 1.5,
      ttfbMs: 1.2,
      firewall: [],
    },
  });
}

/** Reads the ledger tables directly, the way an operator would check them. */
export async function ledgerCounts(
  databaseUrl: string,
): Promise<{ events: number; audit: number; distinctAudit: number; rejected: number }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const q = async (sql: string): Promise<number> => {
      try {
        const r = await client.query<{ n: string }>(sql);
        return Number(r.rows[0]?.n ?? 0);
      } catch (err) {
        if (/does not exist/.test(String(err))) return 0;
        throw err;
      }
    };
    return {
      // Usage events only: the ledger also stores its own events (the default price catalogue at start).
      events: await q("SELECT count(*)::text AS n FROM ledger.events WHERE type = 'usage.recorded.v1'"),
      audit: await q('SELECT count(*)::text AS n FROM ledger.request_audit'),
      distinctAudit: await q('SELECT count(DISTINCT request_id)::text AS n FROM ledger.request_audit'),
      rejected: await q('SELECT count(*)::text AS n FROM ledger.rejected_events'),
    };
  } finally {
    await client.end();
  }
}

export async function auditRequestIds(databaseUrl: string): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const r = await client.query<{ request_id: string }>('SELECT request_id FROM ledger.request_audit');
    return r.rows.map((x) => x.request_id);
  } finally {
    await client.end();
  }
}
