import { FEMTO_USD_PER_NANO_USD, divideRounded, exactCostFemtoUsd } from '@sluice/money';
import type { NormalizedUsage } from '@sluice/events';
import type { LongContextTier, PriceRates, TeamPrice } from './price-catalogue';

/**
 * How one request's cost splits into ledger legs. Every amount is an integer nano-USD and
 * `chargeNanoUsd = providerFromTeamNanoUsd + marginNanoUsd + roundingNanoUsd`, while the provider is owed
 * `providerFromTeamNanoUsd + subsidyNanoUsd = providerCostNanoUsd`.
 */
export type UsageCosting = {
  tier: 'standard' | 'long-context';
  /** Exact cost at the team's rates and at the provider's list rates, femto-USD (10^-6 nano-USD). */
  teamExactFemtoUsd: bigint;
  providerExactFemtoUsd: bigint;
  /** What the team is charged: the exact team cost rounded up, once per request. */
  chargeNanoUsd: bigint;
  /** What the provider is owed: the exact list cost rounded down (the provider rounds its own invoice). */
  providerCostNanoUsd: bigint;
  /** The part of the provider's cost the team pays. */
  providerFromTeamNanoUsd: bigint;
  /** Platform margin: the exact team-minus-provider difference rounded down, when positive. */
  marginNanoUsd: bigint;
  /** Paid by the platform when a negotiated rate is below the provider's price. */
  subsidyNanoUsd: bigint;
  /** The rest: 0, 1 or 2 nano-USD of sub-nano fractions the books cannot carry. */
  roundingNanoUsd: bigint;
};

function promptTokens(u: NormalizedUsage): number {
  return u.inputUncachedTokens + u.cacheReadTokens + u.cacheWriteTokens;
}

function tierRates(
  standard: PriceRates,
  long: LongContextTier | null,
  u: NormalizedUsage,
): { rates: PriceRates; long: boolean } {
  return long && promptTokens(u) > long.aboveInputTokens
    ? { rates: long.rates, long: true }
    : { rates: standard, long: false };
}

/**
 * Exact cost of normalised usage at a set of rates, femto-USD. Reasoning tokens are not added: the
 * normalised `outputTokens` already includes them (libs/protocols usage mapping).
 */
export function exactUsageCostFemtoUsd(u: NormalizedUsage, r: PriceRates): bigint {
  return (
    exactCostFemtoUsd(u.inputUncachedTokens, r.inputNanoUsdPerMTok) +
    exactCostFemtoUsd(u.cacheReadTokens, r.cacheReadNanoUsdPerMTok) +
    exactCostFemtoUsd(u.cacheWriteTokens, r.cacheWriteNanoUsdPerMTok) +
    exactCostFemtoUsd(u.outputTokens, r.outputNanoUsdPerMTok)
  );
}

/**
 * Costs a request. One rounding decides what the team pays (up); the provider's share and the margin are
 * floored, so neither is ever overstated; what is left over is the rounding leg. See docs/ledger-design.md.
 */
export function costUsage(usage: NormalizedUsage, price: TeamPrice): UsageCosting {
  const team = tierRates(price.team.rates, price.team.longContext, usage);
  const list = tierRates(price.list.rates, price.list.longContext, usage);
  const tier = list.long || team.long ? 'long-context' : 'standard';

  const teamExact = exactUsageCostFemtoUsd(usage, team.rates);
  const providerExact = exactUsageCostFemtoUsd(usage, list.rates);
  const charge = divideRounded(teamExact, FEMTO_USD_PER_NANO_USD, 'up').quotient;
  const providerCost = divideRounded(providerExact, FEMTO_USD_PER_NANO_USD, 'down').quotient;

  let providerFromTeam: bigint;
  let margin = 0n;
  let subsidy = 0n;
  if (charge >= providerCost) {
    providerFromTeam = providerCost;
    if (teamExact > providerExact)
      margin = divideRounded(teamExact - providerExact, FEMTO_USD_PER_NANO_USD, 'down').quotient;
  } else {
    providerFromTeam = charge;
    subsidy = providerCost - charge;
  }
  const rounding = charge - providerFromTeam - margin;
  return {
    tier,
    teamExactFemtoUsd: teamExact,
    providerExactFemtoUsd: providerExact,
    chargeNanoUsd: charge,
    providerCostNanoUsd: providerCost,
    providerFromTeamNanoUsd: providerFromTeam,
    marginNanoUsd: margin,
    subsidyNanoUsd: subsidy,
    roundingNanoUsd: rounding,
  };
}
