// Event builders shared by the accounting specs (test support only; nothing in the service imports it).
import {
  USAGE_RECORDED_V1,
  ZERO_USAGE,
  type EventEnvelope,
  type NormalizedUsage,
  type UsageRecordedV1,
} from '@sluice/events';
import { PRICE_PUBLISHED_V1, type PricePublishedV1 } from './price-catalogue';
import {
  CREDIT_EXPIRED_V1,
  CREDIT_TOPPED_UP_V1,
  LEDGER_CORRECTION_V1,
  MARKETPLACE_HOLD_CANCELLED_V1,
  MARKETPLACE_HOLD_DELIVERED_V1,
  MARKETPLACE_HOLD_EXPIRED_V1,
  MARKETPLACE_HOLD_PLACED_V1,
  type CreditExpiredV1,
  type CreditToppedUpV1,
  type LedgerCorrectionV1,
  type MarketplaceHoldDeliveredV1,
  type MarketplaceHoldPlacedV1,
} from './ledger-events';

export function envelope<TData>(
  type: string,
  id: string,
  occurredAt: string,
  subject: string,
  data: TData,
): EventEnvelope<string, TData> {
  return { id, type, subject, occurredAt, producer: 'test', correlationId: null, data };
}

export function usageData(
  fields: Omit<Partial<UsageRecordedV1>, 'usage'> & { teamId: string; usage: Partial<NormalizedUsage> },
): UsageRecordedV1 {
  return {
    requestId: 'req-1',
    keyId: null,
    endpoint: 'openai.chat_completions',
    modelRequested: null,
    modelServed: null,
    provider: null,
    providerRequestId: null,
    stream: false,
    status: 200,
    errorCode: null,
    rawUsage: null,
    receivedAt: '2026-11-01T12:00:00Z',
    latencyMs: 100,
    ttfbMs: 50,
    firewall: [],
    ...fields,
    usage: { ...ZERO_USAGE, ...fields.usage },
  };
}

export const usageEvent = (
  id: string,
  at: string,
  data: UsageRecordedV1,
): EventEnvelope<string, UsageRecordedV1> => envelope(USAGE_RECORDED_V1, id, at, `team:${data.teamId}`, data);
export const priceEvent = (
  id: string,
  at: string,
  data: PricePublishedV1,
): EventEnvelope<string, PricePublishedV1> => envelope(PRICE_PUBLISHED_V1, id, at, 'price-catalogue', data);
export const topUpEvent = (
  id: string,
  at: string,
  data: CreditToppedUpV1,
): EventEnvelope<string, CreditToppedUpV1> =>
  envelope(CREDIT_TOPPED_UP_V1, id, at, `team:${data.teamId}`, data);
export const expiryEvent = (
  id: string,
  at: string,
  data: CreditExpiredV1,
): EventEnvelope<string, CreditExpiredV1> => envelope(CREDIT_EXPIRED_V1, id, at, `team:${data.teamId}`, data);
export const correctionEvent = (
  id: string,
  at: string,
  data: LedgerCorrectionV1,
): EventEnvelope<string, LedgerCorrectionV1> => envelope(LEDGER_CORRECTION_V1, id, at, 'corrections', data);
export const holdPlacedEvent = (
  id: string,
  at: string,
  data: MarketplaceHoldPlacedV1,
): EventEnvelope<string, MarketplaceHoldPlacedV1> =>
  envelope(MARKETPLACE_HOLD_PLACED_V1, id, at, `team:${data.buyerTeamId}`, data);
export const holdDeliveredEvent = (
  id: string,
  at: string,
  data: MarketplaceHoldDeliveredV1,
): EventEnvelope<string, MarketplaceHoldDeliveredV1> =>
  envelope(MARKETPLACE_HOLD_DELIVERED_V1, id, at, 'marketplace', data);
export const holdCancelledEvent = (
  id: string,
  at: string,
  holdEventId: string,
): EventEnvelope<string, { holdEventId: string }> =>
  envelope(MARKETPLACE_HOLD_CANCELLED_V1, id, at, 'marketplace', { holdEventId });
export const holdExpiredEvent = (
  id: string,
  at: string,
  holdEventId: string,
): EventEnvelope<string, { holdEventId: string }> =>
  envelope(MARKETPLACE_HOLD_EXPIRED_V1, id, at, 'marketplace', { holdEventId });

/** A deterministic UUID-shaped id for test event number `n`. */
export const eventId = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
