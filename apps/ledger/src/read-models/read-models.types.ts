import {
  Field,
  Float,
  GraphQLISODateTime,
  ID,
  InputType,
  Int,
  ObjectType,
  registerEnumType,
} from '@nestjs/graphql';

// GraphQL Int is 32-bit: counts are Float (exact below 2^53); money is a decimal string of nano-USD with a
// USD string beside it, as in the accounting API.

export const TimeBucketEnum = { HOUR: 'hour', DAY: 'day', MONTH: 'month' } as const;
registerEnumType(TimeBucketEnum, { name: 'TimeBucket', description: 'UTC hour, day or month' });

@ObjectType({ description: 'Usage of one group in one time bucket; dimensions not grouped by are null' })
export class UsageReportRowView {
  @Field(() => GraphQLISODateTime, { description: 'Start of the UTC bucket' }) bucketStart!: Date;
  @Field(() => String, { nullable: true }) team!: string | null;
  @Field(() => String, { nullable: true, description: 'API key id (null: grouped away, or no key)' })
  key!: string | null;
  @Field(() => String, { nullable: true }) model!: string | null;
  @Field(() => String, { nullable: true }) provider!: string | null;
  @Field(() => Float) requests!: number;
  @Field(() => Float, { description: 'Requests that failed (status >= 400 or an error code)' })
  errors!: number;
  @Field(() => Float, { description: 'All input: uncached + cache read + cache write' }) inputTokens!: number;
  @Field(() => Float) inputUncachedTokens!: number;
  @Field(() => Float) cacheReadTokens!: number;
  @Field(() => Float) cacheWriteTokens!: number;
  @Field(() => Float, { description: 'Output, reasoning included' }) outputTokens!: number;
  @Field(() => Float) reasoningTokens!: number;
  @Field({ description: 'Charged to the team, nano-USD (priced requests)' }) costNanoUsd!: string;
  @Field() costUsd!: string;
  @Field({ description: "The providers' list cost, nano-USD" }) providerCostNanoUsd!: string;
  @Field(() => Float, { description: 'Requests with tokens but no price (not in the cost)' })
  unpricedRequests!: number;
}

@ObjectType({ description: 'Token counts of one request, as reported by the provider and normalised' })
export class AuditTokensView {
  @Field(() => Float) input!: number;
  @Field(() => Float) inputUncached!: number;
  @Field(() => Float) cacheRead!: number;
  @Field(() => Float) cacheWrite!: number;
  @Field(() => Float, { description: 'Output, reasoning included' }) output!: number;
  @Field(() => Float) reasoning!: number;
}

@ObjectType({ description: "The gateway's own count (o200k tokenizer); null when not counted" })
export class GatewayTokensView {
  @Field(() => Float, { nullable: true }) input!: number | null;
  @Field(() => Float, { nullable: true, description: 'Visible output (text, tool arguments)' })
  output!: number | null;
}

@ObjectType({ description: 'What the request cost, priced with the catalogue as of its event' })
export class AuditCostView {
  @Field({ description: 'priced | no_usage | price_not_found | unattributable' }) status!: string;
  @Field(() => Int, { nullable: true }) listPriceVersion!: number | null;
  @Field(() => Int, { nullable: true }) teamPriceVersion!: number | null;
  @Field(() => String, { nullable: true, description: 'list (plus margin) or negotiated' })
  basis!: string | null;
  @Field(() => String, { nullable: true, description: 'standard or long-context' }) tier!: string | null;
  @Field(() => String, { nullable: true, description: 'Charged to the team' }) chargeNanoUsd!: string | null;
  @Field(() => String, { nullable: true }) chargeUsd!: string | null;
  @Field(() => String, { nullable: true }) providerCostNanoUsd!: string | null;
  @Field(() => String, { nullable: true }) marginNanoUsd!: string | null;
  @Field(() => String, { nullable: true }) subsidyNanoUsd!: string | null;
  @Field(() => String, { nullable: true }) roundingNanoUsd!: string | null;
  @Field(() => String, { nullable: true, description: 'Exact team cost, femto-USD (10^-6 nano-USD)' })
  teamExactFemtoUsd!: string | null;
  @Field(() => String, { nullable: true }) providerExactFemtoUsd!: string | null;
}

@ObjectType({ description: 'A prompt firewall finding (no values)' })
export class AuditFirewallFindingView {
  @Field() detector!: string;
  @Field() kind!: string;
  @Field(() => Int) count!: number;
  @Field() location!: string;
  @Field() action!: string;
}

@ObjectType({ description: 'The full audit record of one gateway request (A9.7)' })
export class AuditRecordView {
  @Field(() => ID, { description: 'Gateway request id (x-request-id)' }) id!: string;
  @Field(() => ID, { description: 'The usage event id: the idempotency key end to end' }) eventId!: string;
  @Field() eventPosition!: string;
  @Field() team!: string;
  @Field(() => String, { nullable: true }) key!: string | null;
  @Field() endpoint!: string;
  @Field(() => String, { nullable: true }) modelRequested!: string | null;
  @Field(() => String, { nullable: true }) modelServed!: string | null;
  @Field(() => String, { nullable: true }) provider!: string | null;
  @Field(() => String, { nullable: true }) providerRequestId!: string | null;
  @Field() stream!: boolean;
  @Field(() => Int) status!: number;
  @Field(() => String, { nullable: true }) errorCode!: string | null;
  @Field(() => GraphQLISODateTime) receivedAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) occurredAt!: Date | null;
  @Field(() => Float) latencyMs!: number;
  @Field(() => Float, { nullable: true }) ttfbMs!: number | null;
  @Field(() => Float, { nullable: true, description: 'Time to the first content or tool delta (streams)' })
  ttftMs!: number | null;
  @Field(() => AuditTokensView) tokens!: AuditTokensView;
  @Field(() => String, { nullable: true, description: "The provider's usage object as reported (JSON)" })
  rawUsage!: string | null;
  @Field(() => GatewayTokensView) gatewayTokens!: GatewayTokensView;
  @Field(() => String, { nullable: true }) requestSha256!: string | null;
  @Field(() => String, { nullable: true }) responseSha256!: string | null;
  @Field(() => [AuditFirewallFindingView]) firewall!: AuditFirewallFindingView[];
  @Field(() => AuditCostView) cost!: AuditCostView;
  @Field(() => [ID], { description: 'Ledger transfers booked for this request (by id only)' })
  transferIds!: string[];
  @Field(() => [ID], { description: 'Correction events that reversed this request (by id only)' })
  correctedBy!: string[];
}

@ObjectType()
export class AuditPageView {
  @Field(() => [AuditRecordView]) items!: AuditRecordView[];
  @Field(() => String, { nullable: true }) endCursor!: string | null;
  @Field() hasNextPage!: boolean;
}

@InputType({ description: 'Audit filters; all optional and combined with AND' })
export class AuditFilterInput {
  @Field(() => String, { nullable: true }) team?: string | null;
  @Field(() => String, { nullable: true }) key?: string | null;
  @Field(() => String, { nullable: true, description: 'Matches the model served or the model asked for' })
  model?: string | null;
  @Field(() => String, { nullable: true }) provider?: string | null;
  @Field(() => Int, { nullable: true, description: 'HTTP status' }) status?: number | null;
  @Field(() => Boolean, { nullable: true, description: 'Only failed requests' }) errorsOnly?: boolean | null;
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'received at or after' })
  from?: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'received before' }) to?: Date | null;
}

@ObjectType({ description: 'Quality of one provider and model in one time bucket' })
export class ProviderQualityView {
  @Field(() => GraphQLISODateTime) bucketStart!: Date;
  @Field() provider!: string;
  @Field() model!: string;
  @Field(() => Float) requests!: number;
  @Field(() => Float, {
    description: "Failures that are the provider's: 5xx, 429, a stream broken after 200",
  })
  errors!: number;
  @Field(() => Float, { description: 'errors / requests (0-1)' }) errorRate!: number;
  @Field(() => Float, { nullable: true }) latencyP50Ms!: number | null;
  @Field(() => Float, { nullable: true }) latencyP95Ms!: number | null;
  @Field(() => Float, { nullable: true }) latencyMeanMs!: number | null;
  @Field(() => Float, { nullable: true }) ttftP50Ms!: number | null;
  @Field(() => Float, { nullable: true }) ttftP95Ms!: number | null;
  @Field(() => Float, { nullable: true }) ttftMeanMs!: number | null;
  @Field(() => Float, { nullable: true, description: 'Output tokens per second after the first token' })
  outputTokensPerSecond!: number | null;
  @Field(() => Float, { nullable: true, description: '(provider − gateway) / gateway input tokens' })
  inputTokenDrift!: number | null;
  @Field(() => Float, { nullable: true, description: '(provider visible output − gateway) / gateway' })
  outputTokenDrift!: number | null;
  @Field(() => Float) driftInputRequests!: number;
  @Field(() => Float) driftOutputRequests!: number;
}

@ObjectType()
export class StatementUsageLineView {
  @Field() model!: string;
  @Field(() => Float) requests!: number;
  @Field({ description: 'Spent (positive), nano-USD' }) amountNanoUsd!: string;
  @Field() amountUsd!: string;
}

@ObjectType({
  description:
    "A team's statement: its credit account over [from, to). closing = opening + topUps − usage + corrections − expiries + overdraft + marketplace + other",
})
export class StatementView {
  @Field() team!: string;
  @Field(() => GraphQLISODateTime) from!: Date;
  @Field(() => GraphQLISODateTime) to!: Date;
  @Field() openingBalanceNanoUsd!: string;
  @Field() openingBalanceUsd!: string;
  @Field() topUpsNanoUsd!: string;
  @Field(() => [StatementUsageLineView]) usage!: StatementUsageLineView[];
  @Field() usageNanoUsd!: string;
  @Field({ description: 'Net of correction reversals (refunds positive)' }) correctionsNanoUsd!: string;
  @Field({ description: 'Expired credit (subtracted)' }) expiriesNanoUsd!: string;
  @Field({ description: 'Overdraft drawn minus repaid (added)' }) overdraftNanoUsd!: string;
  @Field() marketplaceNanoUsd!: string;
  @Field() otherNanoUsd!: string;
  @Field() closingBalanceNanoUsd!: string;
  @Field() closingBalanceUsd!: string;
}
