import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import type { SqlExecutor } from '@sluice/database';
import {
  IDENTITY_API_KEY_ISSUED_V1,
  IDENTITY_API_KEY_REVOKED_V1,
  IDENTITY_TEAM_CREATED_V1,
  IDENTITY_TEAM_DISABLED_V1,
  identityEventSchemas,
  type DeliveredEvent,
  type EventEnvelope,
} from '@sluice/events';
import { API_KEY_AUTHENTICATOR, type ApiKeyAuthenticator } from '@sluice/identity';
import { LEDGER_RUNTIME, LEDGER_SCHEMA, type LedgerRuntime } from '../ledger.runtime';
import { LedgerKeysRepository } from './ledger-keys.repository';

type Outcome = 'applied' | 'duplicate' | 'rejected' | 'ignored';

/**
 * Applies one batch of identity events in ONE transaction: each event is recorded in
 * `identity_inbox` by id (a redelivery is skipped there) and applied to `api_keys` /
 * `identity_teams` in the same transaction; an invalid message goes to `rejected_events`. After the
 * commit, this process's key cache is dropped, so a revocation (or a new key) counts here at once.
 */
@Injectable()
export class IdentityIngestService {
  private readonly keys: LedgerKeysRepository;
  private readonly counted: Counter<'outcome'>;

  constructor(
    @Inject(LEDGER_RUNTIME) private readonly rt: LedgerRuntime,
    @Inject(API_KEY_AUTHENTICATOR) private readonly auth: ApiKeyAuthenticator,
  ) {
    this.keys = new LedgerKeysRepository(rt.db);
    this.counted = new Counter({
      name: 'sluice_ledger_identity_events_total',
      help: 'Identity events (teams, API keys) by outcome: applied, duplicate, rejected, ignored',
      labelNames: ['outcome'],
      registers: [rt.metrics],
    });
  }

  async handle(batch: readonly DeliveredEvent[]): Promise<void> {
    const outcomes = await this.rt.db.transaction(async (tx) => {
      const out: Outcome[] = [];
      for (const d of batch) out.push(await this.applyOne(tx, d));
      return out;
    });
    for (const o of outcomes) this.counted.inc({ outcome: o });
    if (outcomes.includes('applied')) this.auth.invalidate();
  }

  private async applyOne(tx: SqlExecutor, d: DeliveredEvent): Promise<Outcome> {
    const source = `${d.topic}/${d.partition}/${d.offset}`;
    const e = d.envelope;
    if (!e) return reject(tx, source, 'not a valid event envelope', d.raw);
    // Types of a later version (or other families) are skipped, not rejected: an older ledger
    // must not stall on a newer gateway's events.
    if (!isIdentityType(e.type)) return 'ignored';
    const parsed = identityEventSchemas[e.type].safeParse(e.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reject(
        tx,
        source,
        `invalid ${e.type}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
        JSON.stringify(e),
      );
    }
    if (!(await this.keys.markApplied(tx, e))) return 'duplicate';
    await this.apply(tx, { ...e, data: parsed.data } as ParsedIdentityEvent);
    return 'applied';
  }

  private async apply(tx: SqlExecutor, e: ParsedIdentityEvent): Promise<void> {
    switch (e.type) {
      case IDENTITY_TEAM_CREATED_V1:
        return this.keys.teamCreated(tx, e.data);
      case IDENTITY_TEAM_DISABLED_V1:
        return this.keys.teamDisabled(tx, e.data);
      case IDENTITY_API_KEY_ISSUED_V1:
        return this.keys.keyIssued(tx, e.data);
      case IDENTITY_API_KEY_REVOKED_V1:
        return this.keys.keyRevoked(tx, e.data);
    }
  }
}

type Schemas = typeof identityEventSchemas;
type IdentityType = keyof Schemas;
type ParsedIdentityEvent = {
  [K in IdentityType]: EventEnvelope<K, Schemas[K]['_output']>;
}[IdentityType];

function isIdentityType(type: string): type is IdentityType {
  return Object.prototype.hasOwnProperty.call(identityEventSchemas, type);
}

async function reject(tx: SqlExecutor, source: string, reason: string, raw: string | null): Promise<Outcome> {
  await tx.query(
    `INSERT INTO ${LEDGER_SCHEMA}.rejected_events (source, reason, raw) VALUES ($1, $2, $3) ON CONFLICT (source) DO NOTHING`,
    [source, reason.slice(0, 500), raw],
  );
  return 'rejected';
}
