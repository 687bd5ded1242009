import type { NormalizedUsage, UsageRecordedV1 } from '@sluice/events';
import { isAccountingError } from '../accounting/domain/accounting.errors';
import { findPrice, type PriceCatalogueState } from '../accounting/domain/price-catalogue';
import { costUsage } from '../accounting/domain/usage-costing';
import { bucketIndex, emptyBuckets } from './histogram';
import type { QualityHour } from './quality-report';

// The pure part of the read models: what one usage event contributes to the audit record, to usage per
// hour and to provider quality. No clock, no database: a replay computes exactly the same facts.

export type CostFacts =
  | {
      status: 'priced';
      listVersion: number;
      teamVersion: number | null;
      basis: 'negotiated' | 'list';
      tier: 'standard' | 'long-context';
      chargeNanoUsd: bigint;
      providerCostNanoUsd: bigint;
      marginNanoUsd: bigint;
      subsidyNanoUsd: bigint;
      roundingNanoUsd: bigint;
      teamExactFemtoUsd: bigint;
      providerExactFemtoUsd: bigint;
    }
  | { status: 'no_usage' | 'price_not_found' | 'unattributable' };

const tokenTotal = (u: UsageRecordedV1['usage']): number =>
  u.inputUncachedTokens + u.cacheReadTokens + u.cacheWriteTokens + u.outputTokens;

/**
 * The request's cost as the books price it (posting-recipes `postUsageWithCosting`): the catalogue as of
 * this event's place in the stream, at the event's `occurredAt`, the team's price and the list price.
 */
export function costFacts(d: UsageRecordedV1, occurredAt: string, catalogue: PriceCatalogueState): CostFacts {
  if (tokenTotal(d.usage) === 0) return { status: 'no_usage' };
  const model = d.modelServed ?? d.modelRequested;
  if (d.provider === null || model === null) return { status: 'unattributable' };
  let price;
  try {
    price = findPrice(catalogue, { provider: d.provider, model, teamId: d.teamId, occurredAt });
  } catch (err) {
    if (isAccountingError(err)) return { status: 'price_not_found' };
    throw err;
  }
  if (!price) return { status: 'price_not_found' };
  const c = costUsage(d.usage, price);
  return {
    status: 'priced',
    listVersion: price.list.version,
    teamVersion: price.team.version,
    basis: price.team.basis,
    tier: c.tier,
    chargeNanoUsd: c.chargeNanoUsd,
    providerCostNanoUsd: c.providerCostNanoUsd,
    marginNanoUsd: c.marginNanoUsd,
    subsidyNanoUsd: c.subsidyNanoUsd,
    roundingNanoUsd: c.roundingNanoUsd,
    teamExactFemtoUsd: c.teamExactFemtoUsd,
    providerExactFemtoUsd: c.providerExactFemtoUsd,
  };
}

/** An error for the team's usage report: any non-2xx/3xx answer, or a stream that ended in an error. */
export function isRequestError(status: number, errorCode: string | null): boolean {
  return status >= 400 || errorCode !== null;
}

/**
 * An error the provider is to blame for (quality): 5xx, 429, or a stream broken after a 200. Client
 * errors (400, 401 ...) and a client hanging up are not the provider's.
 */
export function isProviderError(status: number, errorCode: string | null): boolean {
  if (status >= 500 || status === 429) return true;
  return status < 400 && errorCode !== null && errorCode !== 'client_closed';
}

/** The UTC hour an instant falls in, as ISO. */
export function hourOf(iso: string): string {
  const ms = Date.parse(iso);
  return new Date(ms - (((ms % 3_600_000) + 3_600_000) % 3_600_000)).toISOString();
}

const us = (ms: number): number => Math.round(ms * 1000);

export type UsageHourDelta = {
  hour: string;
  teamId: string;
  keyId: string;
  model: string;
  provider: string;
  requests: number;
  errors: number;
  inputUncachedTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  costNanoUsd: bigint;
  providerCostNanoUsd: bigint;
  unpricedRequests: number;
};

/** The row of usage_hourly a request (or a correction of it) is counted in. */
export type UsageHourKey = { hour: string; teamId: string; keyId: string; model: string; provider: string };

/** What a correction changes in a usage_hourly row (requests and errors never change). */
export type UsageCorrectionDelta = {
  costNanoUsd: bigint;
  providerCostNanoUsd: bigint;
  inputUncachedTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
};

export const ZERO_CORRECTION: UsageCorrectionDelta = {
  costNanoUsd: 0n,
  providerCostNanoUsd: 0n,
  inputUncachedTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
};

/** The corrected usage event as the audit record holds it. */
export type CorrectedRequest = {
  teamId: string;
  provider: string | null;
  modelServed: string | null;
  modelRequested: string | null;
  /** The usage event's occurredAt: the correction reprices at it, like the books. */
  occurredAt: string;
  costStatus: CostFacts['status'];
  chargeNanoUsd: bigint | null;
  providerCostNanoUsd: bigint | null;
  usage: NormalizedUsage;
};

export type CorrectionEffect = {
  delta: UsageCorrectionDelta;
  /** The books reverse transfers of the corrected event (then a second correction of it is refused). */
  reverses: boolean;
  /** The correction itself books transfers (a correction of it reverses them). */
  booksTransfers: boolean;
};

/**
 * What `ledger.correction.v1` of a usage event changes in usage per hour, mirroring the books' recipe
 * (`postCorrection` after `AccountingProjector.correct`): the original charge and provider cost are reversed
 * when the books posted any, and with corrected usage the request is repriced at its own time and catalogue
 * version (`maxVersion`, the latest version in force when the original was projected) and charged again;
 * the tokens then become the corrected ones. Returns null when the books refuse the correction (the
 * replacement cannot be priced or attributed): then it changes nothing here either.
 */
export function usageCorrectionEffect(
  original: CorrectedRequest,
  correctedUsage: NormalizedUsage | undefined,
  catalogue: PriceCatalogueState,
  maxVersion: number | undefined,
): CorrectionEffect | null {
  const charge = original.chargeNanoUsd ?? 0n;
  const providerCost = original.providerCostNanoUsd ?? 0n;
  // The books posted transfers for a priced request with a non-zero charge or provider cost.
  const reverses = original.costStatus === 'priced' && (charge > 0n || providerCost > 0n);
  const delta: UsageCorrectionDelta = { ...ZERO_CORRECTION };
  if (reverses) {
    delta.costNanoUsd -= charge;
    delta.providerCostNanoUsd -= providerCost;
  }
  let replacementLegs = false;
  // The books reprice only a usage event they applied (priced, or no tokens at all).
  const applied = original.costStatus === 'priced' || original.costStatus === 'no_usage';
  if (correctedUsage && applied) {
    if (tokenTotal(correctedUsage) > 0) {
      const model = original.modelServed ?? original.modelRequested;
      if (original.provider === null || model === null) return null;
      let price;
      try {
        price = findPrice(catalogue, {
          provider: original.provider,
          model,
          teamId: original.teamId,
          occurredAt: original.occurredAt,
          maxVersion,
        });
      } catch (err) {
        if (isAccountingError(err)) return null;
        throw err;
      }
      if (!price) return null;
      const c = costUsage(correctedUsage, price);
      delta.costNanoUsd += c.chargeNanoUsd;
      delta.providerCostNanoUsd += c.providerCostNanoUsd;
      replacementLegs = c.chargeNanoUsd > 0n || c.providerCostNanoUsd > 0n;
    }
    delta.inputUncachedTokens = correctedUsage.inputUncachedTokens - original.usage.inputUncachedTokens;
    delta.cacheReadTokens = correctedUsage.cacheReadTokens - original.usage.cacheReadTokens;
    delta.cacheWriteTokens = correctedUsage.cacheWriteTokens - original.usage.cacheWriteTokens;
    delta.outputTokens = correctedUsage.outputTokens - original.usage.outputTokens;
    delta.reasoningTokens = correctedUsage.reasoningTokens - original.usage.reasoningTokens;
  }
  return { delta, reverses, booksTransfers: reverses || replacementLegs };
}

/** A correction of a correction reverses what that one booked, so it takes back exactly its delta. */
export function negateCorrection(d: UsageCorrectionDelta): UsageCorrectionDelta {
  return {
    costNanoUsd: -d.costNanoUsd,
    providerCostNanoUsd: -d.providerCostNanoUsd,
    inputUncachedTokens: -d.inputUncachedTokens,
    cacheReadTokens: -d.cacheReadTokens,
    cacheWriteTokens: -d.cacheWriteTokens,
    outputTokens: -d.outputTokens,
    reasoningTokens: -d.reasoningTokens,
  };
}

/** A row of provider_quality_hourly as the fold builds it (the hour as an ISO string). */
export type QualityHourDelta = Omit<QualityHour, 'hour'> & { hour: string };

/** The usage_hourly row of a request: the UTC hour it was received in, team, key, model served, provider. */
export function usageHourKey(d: {
  receivedAt: string;
  teamId: string;
  keyId: string | null;
  modelServed: string | null;
  modelRequested: string | null;
  provider: string | null;
}): UsageHourKey {
  return {
    hour: hourOf(d.receivedAt),
    teamId: d.teamId,
    keyId: d.keyId ?? '',
    model: d.modelServed ?? d.modelRequested ?? '',
    provider: d.provider ?? '',
  };
}

/** Folds usage events (already deduplicated) into per-hour deltas, keyed as the tables are. */
export class HourlyFold {
  readonly usage = new Map<string, UsageHourDelta>();
  readonly quality = new Map<string, QualityHourDelta>();

  /** Adds a correction's delta to the row of the request it corrects (no request is counted). */
  addCorrection(k: UsageHourKey, delta: UsageCorrectionDelta): void {
    const u = this.usageRow(k);
    u.costNanoUsd += delta.costNanoUsd;
    u.providerCostNanoUsd += delta.providerCostNanoUsd;
    u.inputUncachedTokens += delta.inputUncachedTokens;
    u.cacheReadTokens += delta.cacheReadTokens;
    u.cacheWriteTokens += delta.cacheWriteTokens;
    u.outputTokens += delta.outputTokens;
    u.reasoningTokens += delta.reasoningTokens;
  }

  private usageRow(k: UsageHourKey): UsageHourDelta {
    const uKey = JSON.stringify([k.hour, k.teamId, k.keyId, k.model, k.provider]);
    let u = this.usage.get(uKey);
    if (!u) {
      u = {
        ...k,
        requests: 0,
        errors: 0,
        inputUncachedTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 0,
        reasoningTokens: 0,
        costNanoUsd: 0n,
        providerCostNanoUsd: 0n,
        unpricedRequests: 0,
      };
      this.usage.set(uKey, u);
    }
    return u;
  }

  add(d: UsageRecordedV1, cost: CostFacts): void {
    const k = usageHourKey(d);
    const { hour, model } = k;
    const u = this.usageRow(k);
    u.requests += 1;
    if (isRequestError(d.status, d.errorCode)) u.errors += 1;
    u.inputUncachedTokens += d.usage.inputUncachedTokens;
    u.cacheReadTokens += d.usage.cacheReadTokens;
    u.cacheWriteTokens += d.usage.cacheWriteTokens;
    u.outputTokens += d.usage.outputTokens;
    u.reasoningTokens += d.usage.reasoningTokens;
    if (cost.status === 'priced') {
      u.costNanoUsd += cost.chargeNanoUsd;
      u.providerCostNanoUsd += cost.providerCostNanoUsd;
    } else if (cost.status !== 'no_usage') u.unpricedRequests += 1;

    // Quality is about providers: requests that never reached one are not counted.
    if (d.provider === null) return;
    const qKey = JSON.stringify([d.provider, model, hour]);
    let q = this.quality.get(qKey);
    if (!q) {
      q = {
        hour,
        provider: d.provider,
        model,
        requests: 0,
        errors: 0,
        latencyBuckets: emptyBuckets(),
        latencySumUs: 0,
        ttftBuckets: emptyBuckets(),
        ttftCount: 0,
        ttftSumUs: 0,
        speedOutputTokens: 0,
        speedGenerationUs: 0,
        driftInputRequests: 0,
        providerInputTokens: 0,
        gatewayInputTokens: 0,
        driftOutputRequests: 0,
        providerOutputTokens: 0,
        gatewayOutputTokens: 0,
      };
      this.quality.set(qKey, q);
    }
    q.requests += 1;
    const failed = isProviderError(d.status, d.errorCode);
    if (failed) q.errors += 1;
    const latency = q.latencyBuckets;
    latency[bucketIndex(d.latencyMs)]! += 1;
    q.latencySumUs += us(d.latencyMs);
    const ttft = d.ttftMs ?? null;
    if (ttft !== null) {
      q.ttftBuckets[bucketIndex(ttft)]! += 1;
      q.ttftCount += 1;
      q.ttftSumUs += us(ttft);
    }
    if (failed || d.status >= 400) return;
    const generationUs = us(d.latencyMs - (ttft ?? 0));
    if (d.usage.outputTokens > 0 && generationUs > 0) {
      q.speedOutputTokens += d.usage.outputTokens;
      q.speedGenerationUs += generationUs;
    }
    const g = d.gatewayTokens;
    if (g?.input !== null && g?.input !== undefined) {
      q.driftInputRequests += 1;
      q.providerInputTokens +=
        d.usage.inputUncachedTokens + d.usage.cacheReadTokens + d.usage.cacheWriteTokens;
      q.gatewayInputTokens += g.input;
    }
    if (g?.output !== null && g?.output !== undefined) {
      q.driftOutputRequests += 1;
      // The gateway sees no hidden reasoning: compare with the visible part of the output.
      q.providerOutputTokens += Math.max(0, d.usage.outputTokens - d.usage.reasoningTokens);
      q.gatewayOutputTokens += g.output;
    }
  }
}
