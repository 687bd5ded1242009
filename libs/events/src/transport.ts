import type { EventEnvelope } from './envelope';

/** An event as a consumer receives it: the envelope plus where it came from, for logs and offsets. */
export type DeliveredEvent = {
  /** Null when the message was not a valid envelope: the handler dead-letters it (see `raw`). */
  envelope: EventEnvelope | null;
  /** The message as received, kept only when it could not be decoded. */
  raw: string | null;
  topic: string;
  partition: number;
  offset: string;
};

/**
 * Handles one batch. Resolving means every event of the batch is durably applied (its database
 * transaction committed); only then does the transport acknowledge (commit offsets). Throwing means
 * nothing of the batch may be acknowledged: the batch is delivered again, so handlers dedupe by id.
 */
export type BatchHandler = (batch: DeliveredEvent[]) => Promise<void>;

export type SubscribeOptions = {
  groupId: string;
  topic: string;
  handler: BatchHandler;
  /** From the earliest retained event when the group has no committed position yet (default true). */
  fromBeginning?: boolean;
};

export type Subscription = { stop(): Promise<void> };

/** An event as the broker takes it: its key (the envelope's subject, for per-subject order) and JSON. */
export type TextRecord = { key: string; value: string };

/**
 * The seam between producers and consumers. Kafka in distributed mode, an in-process transport in
 * standalone; both give at-least-once delivery and per-key (per subject) order.
 */
export interface EventTransport {
  readonly kind: 'kafka' | 'in-process';
  /** Resolves once the events are durably accepted by the transport; rejects if they may not be. */
  /**
   * `json`, when given, is each event's JSON text already made (the outbox serialises each event once, for
   * its table and for the broker); a transport that sends text uses it instead of serialising again.
   */
  publish(topic: string, events: readonly EventEnvelope[], json?: readonly string[]): Promise<void>;
  /**
   * Optional: the same for events given only as their key (the subject) and JSON text. The outbox's
   * fast path sends through it when it is there, so the transport does not walk the event objects.
   */
  publishText?(topic: string, records: readonly TextRecord[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** True while the transport can accept events (for /ready and the relay's backoff). */
  isHealthy(): boolean;
  close(): Promise<void>;
}

export const TOPICS = {
  usage: 'sluice.usage.v1',
} as const;
