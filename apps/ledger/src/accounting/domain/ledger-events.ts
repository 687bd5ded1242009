import { z } from 'zod';
import { normalizedUsageSchema } from '@sluice/events';

// The events the ledger posts from besides `usage.recorded.v1` and `price.published.v1`. They travel in the
// shared envelope (`@sluice/events`); these are their `data` schemas. Money is a decimal integer string of
// nano-USD, since JSON numbers lose precision above 2^53.

const positiveNanoUsd = z.string().regex(/^[1-9]\d{0,18}$/, 'positive integer nano-USD');
const nanoUsd = z.string().regex(/^(0|[1-9]\d{0,18})$/, 'integer nano-USD');

export const CREDIT_TOPPED_UP_V1 = 'credit.topped_up.v1';
export const creditToppedUpV1Schema = z.object({
  teamId: z.string().min(1),
  amountNanoUsd: positiveNanoUsd,
  /** Where the money came from: becomes the `cash:<source>` account (`stripe`, `invoice`, `manual`). */
  source: z.string().min(1).max(120),
  /** The payment's own reference (PSP charge id, invoice number), for reconciliation. */
  reference: z.string().max(200).nullable(),
});
export type CreditToppedUpV1 = z.infer<typeof creditToppedUpV1Schema>;

export const CREDIT_EXPIRED_V1 = 'credit.expired.v1';
export const creditExpiredV1Schema = z.object({
  teamId: z.string().min(1),
  /** The most that expires (the unspent part of a grant); capped at what the team has available. */
  amountNanoUsd: positiveNanoUsd,
  grantReference: z.string().max(200).nullable(),
});
export type CreditExpiredV1 = z.infer<typeof creditExpiredV1Schema>;

export const LEDGER_CORRECTION_V1 = 'ledger.correction.v1';
export const ledgerCorrectionV1Schema = z.object({
  /** The event whose transfers are reversed. */
  correctsEventId: z.string().uuid(),
  reason: z.string().min(1).max(500),
  /** For a usage event: the corrected token counts, reposted at the price of the original event. Absent: reverse only. */
  correctedUsage: normalizedUsageSchema.optional(),
});
export type LedgerCorrectionV1 = z.infer<typeof ledgerCorrectionV1Schema>;

export const MARKETPLACE_HOLD_PLACED_V1 = 'marketplace.hold_placed.v1';
export const marketplaceHoldPlacedV1Schema = z.object({
  buyerTeamId: z.string().min(1),
  sellerId: z.string().min(1),
  /** The worst-case cost reserved on the buyer (max tokens x the seller's price). */
  maxAmountNanoUsd: positiveNanoUsd,
  /** After this long the hold may be expired and the reservation released (at most a day). */
  timeoutSeconds: z.number().int().positive().max(86_400),
  requestId: z.string().min(1).nullable(),
});
export type MarketplaceHoldPlacedV1 = z.infer<typeof marketplaceHoldPlacedV1Schema>;

export const MARKETPLACE_HOLD_DELIVERED_V1 = 'marketplace.hold_delivered.v1';
export const marketplaceHoldDeliveredV1Schema = z.object({
  /** The id of the `marketplace.hold_placed.v1` event. */
  holdEventId: z.string().uuid(),
  /** What the delivery actually cost the buyer; 0 voids the hold. */
  actualAmountNanoUsd: nanoUsd,
  /** The platform's fee out of the actual amount; the seller earns the rest. */
  feeNanoUsd: nanoUsd,
});
export type MarketplaceHoldDeliveredV1 = z.infer<typeof marketplaceHoldDeliveredV1Schema>;

export const MARKETPLACE_HOLD_CANCELLED_V1 = 'marketplace.hold_cancelled.v1';
export const MARKETPLACE_HOLD_EXPIRED_V1 = 'marketplace.hold_expired.v1';
export const marketplaceHoldReleasedV1Schema = z.object({ holdEventId: z.string().uuid() });
export type MarketplaceHoldReleasedV1 = z.infer<typeof marketplaceHoldReleasedV1Schema>;
