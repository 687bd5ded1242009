import { isoTime } from './iso-time';
import { uuidv7 } from './uuid7';
import { z } from 'zod';

/**
 * The one envelope every event travels in (ARCHITECTURE.md, "Contracts between services").
 * `id` is minted by the producer when the fact happens and is the idempotency key end to end;
 * `subject` is the payer account and the Kafka key, so one payer's events stay in order.
 */
export type EventEnvelope<TType extends string = string, TData = unknown> = {
  id: string;
  type: TType;
  subject: string;
  occurredAt: string;
  producer: string;
  correlationId: string | null;
  data: TData;
};

export const envelopeSchema = z.object({
  id: z.string().uuid(),
  type: z
    .string()
    .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.v[0-9]+$/, 'dotted and versioned, e.g. usage.recorded.v1'),
  subject: z.string().min(1).max(200),
  occurredAt: z.string().datetime({ offset: true }),
  producer: z.string().min(1).max(100),
  correlationId: z.string().max(200).nullable(),
  data: z.unknown(),
});

export function newEventId(): string {
  return uuidv7();
}

export function makeEnvelope<TType extends string, TData>(fields: {
  type: TType;
  subject: string;
  producer: string;
  data: TData;
  correlationId?: string | null;
  occurredAt?: Date;
  id?: string;
}): EventEnvelope<TType, TData> {
  return {
    id: fields.id ?? newEventId(),
    type: fields.type,
    subject: fields.subject,
    occurredAt: isoTime(fields.occurredAt !== undefined ? fields.occurredAt.getTime() : Date.now()),
    producer: fields.producer,
    correlationId: fields.correlationId ?? null,
    data: fields.data,
  };
}
