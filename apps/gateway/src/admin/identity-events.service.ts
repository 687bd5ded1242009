import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import type { SqlExecutor } from '@sluice/database';
import { identityTopicFor, Outbox, type IdentityEvent } from '@sluice/events';
import { IdentityRepository, type ApiKeyRecord } from '@sluice/identity';
import { GATEWAY_RUNTIME, type GatewayRuntime } from '../gateway.runtime';
import { backfillEvents } from './identity-announcements';

/** Announces identity events within the change's transaction: they commit together or not at all. */
export type Announce = (events: readonly IdentityEvent[]) => Promise<void>;

type KeyHashRow = {
  id: string;
  team_id: string;
  name: string;
  key_hash: string;
  key_prefix: string;
  created_at: Date;
  revoked_at: Date | null;
};

/**
 * The gateway's identity events (docs/ledger-design.md, "Keys on the ledger"): teams and keys are
 * changed and their events written to `gateway.identity_outbox` in ONE transaction, then the outbox
 * relay publishes them to the identity topic (retrying while the broker is down, like usage events).
 * `gateway.identity_announcements` remembers every event id announced; at start, a backfill announces
 * whatever the tables imply and was never announced (keys created before this existed, or by an
 * older gateway). Both are idempotent by the events' deterministic ids.
 */
@Injectable()
export class IdentityEventsService implements OnModuleInit, OnApplicationShutdown {
  private readonly outbox: Outbox;
  readonly topic: string;

  constructor(@Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime) {
    const published = new Counter({
      name: 'sluice_gateway_identity_events_published_total',
      help: 'Identity events (teams, API keys) accepted by the event transport',
      registers: [rt.metrics],
    });
    this.topic = identityTopicFor(rt.config.usageTopic);
    this.outbox = new Outbox(rt.db, rt.transport, {
      table: 'gateway.identity_outbox',
      topic: this.topic,
      instanceId: rt.instanceId,
      // Only appendIn writes here (inside the admin transaction): the memory buffer stays unused.
      flushMs: 20,
      batchSize: 500,
      bufferLimit: 10_000,
      onError: (stage, err) =>
        rt.logger.warn(
          { stage, err: err instanceof Error ? err.message : String(err) },
          'identity outbox: will retry',
        ),
      onPublished: (n) => published.inc(n),
    });
    const outbox = this.outbox;
    new Gauge({
      name: 'sluice_gateway_identity_backlog',
      help: 'Identity events (teams, API keys) not yet accepted by the event transport',
      registers: [rt.metrics],
      collect() {
        this.set(outbox.backlog());
      },
    });
  }

  async onModuleInit(): Promise<void> {
    const n = await this.backfill();
    if (n > 0)
      this.rt.logger.info({ events: n }, 'identity events backfilled for teams and keys never announced');
    await this.outbox.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.outbox.stop(this.rt.config.shutdownDrainMs);
  }

  /** Identity events not yet accepted by the transport. */
  backlog(): number {
    return this.outbox.backlog();
  }

  /**
   * Runs an identity change in one transaction with the events it announces: the repository and
   * `announce` handed to `fn` both write through that transaction.
   */
  async change<T>(fn: (identity: IdentityRepository, announce: Announce) => Promise<T>): Promise<T> {
    let written = 0;
    const result = await this.rt.db.transaction(async (tx) => {
      written = 0;
      return fn(new IdentityRepository(tx), async (events) => {
        written += await this.announceIn(tx, events);
      });
    });
    this.outbox.appended(written);
    return result;
  }

  /** Announces, in one transaction, every event the tables imply that was never announced. */
  async backfill(): Promise<number> {
    let written = 0;
    await this.rt.db.transaction(async (tx) => {
      const identity = new IdentityRepository(tx);
      const teams = await identity.listTeams();
      const keys = (
        await tx.query<KeyHashRow>(
          `SELECT id, team_id, name, key_hash, key_prefix, created_at, revoked_at FROM gateway.api_keys ORDER BY created_at, id`,
        )
      ).map((r): ApiKeyRecord & { keyHash: string } => ({
        id: r.id,
        teamId: r.team_id,
        name: r.name,
        prefix: r.key_prefix,
        createdAt: r.created_at.toISOString(),
        revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
        firewall: null,
        keyHash: r.key_hash,
      }));
      const announced = new Set(
        (
          await tx.query<{ event_id: string }>(`SELECT event_id::text FROM gateway.identity_announcements`)
        ).map((r) => r.event_id),
      );
      written = await this.announceIn(tx, backfillEvents(teams, keys, announced));
    });
    this.outbox.appended(written);
    return written;
  }

  /** Records the announcements and writes the events never announced before; returns how many. */
  private async announceIn(tx: SqlExecutor, events: readonly IdentityEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const fresh = new Set(
      (
        await tx.query<{ event_id: string }>(
          `INSERT INTO gateway.identity_announcements (event_id, type, team_id)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])
           ON CONFLICT (event_id) DO NOTHING RETURNING event_id::text`,
          [events.map((e) => e.id), events.map((e) => e.type), events.map((e) => e.subject)],
        )
      ).map((r) => r.event_id),
    );
    const toSend = events.filter((e) => fresh.has(e.id));
    await this.outbox.appendIn(tx, toSend);
    return toSend.length;
  }
}
