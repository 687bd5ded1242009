// A team's statement for a period, assembled from the journal: the movements of its credit account
// (`team:<id>`, credit-normal: credits add, debits subtract), grouped by why money moved. Only posted
// transfers count (single and post); holds still pending are not in the balance yet.

/** One group of movements as the repository reads it: net amount signed from the team's side. */
export type StatementMovement = {
  /** The transfer code, with every `usage.*` leg grouped as `usage`. */
  code: string;
  /** The model, for usage legs (from the transfer's ref); '' otherwise. */
  model: string;
  netNanoUsd: bigint;
  /** Distinct events behind the group (requests, for usage). */
  events: number;
};

export type StatementUsageLine = { model: string; requests: number; amountNanoUsd: bigint };

export type Statement = {
  teamId: string;
  from: Date;
  to: Date;
  openingNanoUsd: bigint;
  /** Money in: top-ups. */
  topUpsNanoUsd: bigint;
  /** Money out: usage charges by model (positive amounts), and their total. */
  usage: StatementUsageLine[];
  usageNanoUsd: bigint;
  /** Net effect of correction reversals (a refund is positive). */
  correctionsNanoUsd: bigint;
  /** Credit that expired (positive amount, subtracted). */
  expiriesNanoUsd: bigint;
  /** Overdraft drawn on the receivable minus overdraft repaid (signed, added). */
  overdraftNanoUsd: bigint;
  /** Marketplace holds posted (signed, added). */
  marketplaceNanoUsd: bigint;
  /** Anything else (signed, added); zero unless the chart grows. */
  otherNanoUsd: bigint;
  closingNanoUsd: bigint;
};

/**
 * Sorts movements into the statement's lines; closing = opening + top-ups − usage + corrections −
 * expiries + overdraft + marketplace + other, which is the opening plus the sum of every movement.
 */
export function assembleStatement(
  teamId: string,
  from: Date,
  to: Date,
  openingNanoUsd: bigint,
  movements: readonly StatementMovement[],
): Statement {
  const byModel = new Map<string, StatementUsageLine>();
  let topUps = 0n;
  let corrections = 0n;
  let expiries = 0n;
  let overdraft = 0n;
  let marketplace = 0n;
  let other = 0n;
  let net = 0n;
  for (const m of movements) {
    net += m.netNanoUsd;
    if (m.code === 'usage' || m.code.startsWith('usage.')) {
      const line = byModel.get(m.model) ?? { model: m.model, requests: 0, amountNanoUsd: 0n };
      line.amountNanoUsd -= m.netNanoUsd;
      line.requests += m.events;
      byModel.set(m.model, line);
    } else if (m.code === 'top_up') topUps += m.netNanoUsd;
    else if (m.code === 'correction.reversal') corrections += m.netNanoUsd;
    else if (m.code === 'credit_expiry') expiries -= m.netNanoUsd;
    else if (m.code === 'overdraft.draw' || m.code === 'overdraft.repay') overdraft += m.netNanoUsd;
    else if (m.code.startsWith('marketplace.')) marketplace += m.netNanoUsd;
    else other += m.netNanoUsd;
  }
  const usage = [...byModel.values()].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
  const usageTotal = usage.reduce((s, l) => s + l.amountNanoUsd, 0n);
  const closing =
    openingNanoUsd + topUps - usageTotal + corrections - expiries + overdraft + marketplace + other;
  if (closing !== openingNanoUsd + net) throw new Error('statement lines do not add up to the movements');
  return {
    teamId,
    from,
    to,
    openingNanoUsd,
    topUpsNanoUsd: topUps,
    usage,
    usageNanoUsd: usageTotal,
    correctionsNanoUsd: corrections,
    expiriesNanoUsd: expiries,
    overdraftNanoUsd: overdraft,
    marketplaceNanoUsd: marketplace,
    otherNanoUsd: other,
    closingNanoUsd: closing,
  };
}
