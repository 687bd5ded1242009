import { z } from 'zod';

// The wire contract between a gateway instance and the ledger for hard budgets (spend leases) and the
// prices a gateway needs to count spend locally. Amounts travel as decimal strings: they are bigints
// (nano-USD or tokens) and JSON numbers would lose precision.

export const LEASE_SYNC_PATH = '/internal/v1/budget-leases';
export const TEAM_PRICE_PATH = '/internal/v1/team-price';

const amount = z.string().regex(/^\d{1,30}$/, 'a non-negative integer as a decimal string');
const id = z.string().min(1).max(200);

export const leaseSyncRequestSchema = z.object({
  /** One per gateway process (a worker of a cluster is an instance of its own). */
  instanceId: id,
  teamId: id,
  keyId: id.nullable(),
  /** Leases the instance closes, with what it spent under each (which may exceed the grant). */
  settle: z
    .array(z.object({ leaseId: z.string().uuid(), usedAmount: amount }))
    .max(200)
    .default([]),
  /**
   * Hard budgets to lease now: `all` = every applicable hard budget this instance holds no open lease
   * for; a list = those (after settling); `none` = only report the budgets (and settle).
   */
  acquire: z.union([z.enum(['all', 'none']), z.array(id).max(200)]).default('all'),
});
export type LeaseSyncRequest = z.input<typeof leaseSyncRequestSchema>;
export type LeaseSyncRequestParsed = z.output<typeof leaseSyncRequestSchema>;

export const wireLeaseSchema = z.object({
  leaseId: z.string().uuid(),
  grantedAmount: amount,
  expiresAt: z.string().datetime({ offset: true }),
});
export type WireLease = z.infer<typeof wireLeaseSchema>;

export const budgetViewSchema = z.object({
  budgetId: id,
  scope: z.enum(['team', 'key']),
  keyId: id.nullable(),
  unit: z.enum(['nano-usd', 'tokens']),
  period: z.enum(['day', 'month', 'total']),
  enforcement: z.enum(['soft', 'hard']),
  limit: amount,
  alertAtBps: z.number().int().min(1).max(100_000).nullable(),
  /** End of the current period (null for `total`): leases never outlive it. */
  periodEnd: z.string().datetime({ offset: true }).nullable(),
  /** Hard: settled + reserved by open leases; soft: spend posted in the period. */
  committed: amount,
  state: z.enum(['ok', 'alert', 'exceeded']),
  /** This instance's open lease on a hard budget (null: none, or nothing left to grant). */
  lease: wireLeaseSchema.nullable(),
});
export type BudgetView = z.infer<typeof budgetViewSchema>;

export const leaseSyncResponseSchema = z.object({
  budgets: z.array(budgetViewSchema),
  serverTime: z.string().datetime({ offset: true }),
});
export type LeaseSyncResponse = z.infer<typeof leaseSyncResponseSchema>;

export const wireRatesSchema = z.object({
  inputNanoUsdPerMTok: amount,
  outputNanoUsdPerMTok: amount,
  cacheReadNanoUsdPerMTok: amount,
  cacheWriteNanoUsdPerMTok: amount,
});
export type WireRates = z.infer<typeof wireRatesSchema>;

/** What a team pays for a model now: the catalogue's answer, or `priced: false` (the request costs 0). */
export const teamPriceResponseSchema = z.object({
  priced: z.boolean(),
  rates: wireRatesSchema.nullable(),
  longContext: z
    .object({ aboveInputTokens: z.number().int().nonnegative(), rates: wireRatesSchema })
    .nullable(),
  catalogueVersion: z.number().int().nullable(),
});
export type TeamPriceResponse = z.infer<typeof teamPriceResponseSchema>;
