import { Field, Float, GraphQLISODateTime, ID, InputType, Int, ObjectType } from '@nestjs/graphql';

// Money crosses GraphQL as decimal integer strings of nano-USD (GraphQL Int is 32-bit and Float loses
// precision above 2^53), with a formatted USD string beside it for people.

@ObjectType({ description: 'One account of the books, with TigerBeetle’s four balance columns (nano-USD)' })
export class AccountBalanceView {
  @Field({ description: 'Account key, e.g. team:acme, provider:openai, platform:revenue' }) account!: string;
  @Field() kind!: string;
  @Field({ description: 'debit or credit: the side the balance is counted on' }) normalSide!: string;
  @Field() debitsPostedNanoUsd!: string;
  @Field() creditsPostedNanoUsd!: string;
  @Field() debitsPendingNanoUsd!: string;
  @Field() creditsPendingNanoUsd!: string;
  @Field({ description: 'Posted balance on the normal side' }) balanceNanoUsd!: string;
  @Field({ description: 'Posted balance minus pending outflows' }) availableNanoUsd!: string;
  @Field({ description: 'balanceNanoUsd as exact USD' }) balanceUsd!: string;
}

@ObjectType({ description: 'One immutable transfer of the journal' })
export class TransferView {
  @Field(() => ID, { description: 'UUIDv5 of "<eventId>/<leg>"' }) id!: string;
  @Field({ description: 'Journal position, the paging cursor' }) seq!: string;
  @Field({ description: 'single | pending | post | void | expire' }) kind!: string;
  @Field() debitAccount!: string;
  @Field() creditAccount!: string;
  @Field() amountNanoUsd!: string;
  @Field() amountUsd!: string;
  @Field() code!: string;
  @Field(() => ID) eventId!: string;
  @Field() leg!: string;
  @Field(() => String, { nullable: true }) pendingId!: string | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) timeoutAt!: Date | null;
  @Field(() => String, { nullable: true }) correctsTransferId!: string | null;
  @Field(() => GraphQLISODateTime, { description: 'Effective time: the event’s occurredAt' }) bookedAt!: Date;
  @Field({ description: 'Business references (request id, price versions, exact femto-USD costs) as JSON' })
  ref!: string;
}

@ObjectType()
export class TransferPageView {
  @Field(() => [TransferView]) items!: TransferView[];
  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page' }) endCursor!:
    string | null;
  @Field() hasNextPage!: boolean;
}

@ObjectType({ description: 'One entry of the price catalogue (per million tokens, nano-USD)' })
export class PriceView {
  @Field(() => Int) version!: number;
  @Field(() => GraphQLISODateTime) effectiveFrom!: Date;
  @Field({ description: 'list or team' }) scope!: string;
  @Field(() => String, { nullable: true }) team!: string | null;
  @Field() provider!: string;
  @Field({ description: 'Exact model name or * pattern' }) model!: string;
  @Field({ description: 'The entry withdraws the pattern from effectiveFrom on' }) withdrawn!: boolean;
  @Field(() => String, { nullable: true }) inputNanoUsdPerMTok!: string | null;
  @Field(() => String, { nullable: true }) outputNanoUsdPerMTok!: string | null;
  @Field(() => String, { nullable: true }) cacheReadNanoUsdPerMTok!: string | null;
  @Field(() => String, { nullable: true }) cacheWriteNanoUsdPerMTok!: string | null;
  @Field() source!: string;
}

@ObjectType({
  description: 'The event a mutation appended (or found, when the idempotency key was used before)',
})
export class LedgerCommandResult {
  @Field(() => ID) eventId!: string;
  @Field({ description: 'false when this idempotency key was already used: nothing new happened' })
  created!: boolean;
}

@InputType({ description: 'Corrected token counts of a usage event' })
export class CorrectedUsageInput {
  @Field(() => Float) inputUncachedTokens!: number;
  @Field(() => Float) cacheReadTokens!: number;
  @Field(() => Float) cacheWriteTokens!: number;
  @Field(() => Float) outputTokens!: number;
  @Field(() => Float, { defaultValue: 0 }) reasoningTokens!: number;
}

@ObjectType({ description: 'verify-balances: the invariant and every balance recomputed from the journal' })
export class BooksCheckView {
  @Field() balanced!: boolean;
  @Field() debitsPostedNanoUsd!: string;
  @Field() creditsPostedNanoUsd!: string;
  @Field() debitsPendingNanoUsd!: string;
  @Field() creditsPendingNanoUsd!: string;
  @Field(() => Int) accounts!: number;
  @Field(() => Float) transfers!: number;
  @Field(() => [String], { description: 'Accounts whose balance disagrees with their journal' })
  discrepantAccounts!: string[];
}

@ObjectType({ description: 'What the ledger shows a provider about one request in a dispute' })
export class EvidenceRequestView {
  @Field({ description: 'The gateway request id (x-request-id)' }) requestId!: string;
  @Field(() => String, { nullable: true, description: 'The provider’s own request id' }) providerRequestId!:
    string | null;
  @Field(() => GraphQLISODateTime) receivedAt!: Date;
  @Field(() => String, { nullable: true }) model!: string | null;
  @Field(() => Int) status!: number;
  @Field({
    description: 'Tokens the provider reported: {input (uncached), output, cacheRead, cacheWrite}, JSON',
  })
  providerTokens!: string;
  @Field({
    description: 'Tokens the gateway’s tokenizer counted: {input, output} (null when not counted), JSON',
  })
  gatewayTokens!: string;
  @Field(() => Int, { nullable: true }) listPriceVersion!: number | null;
  @Field(() => String, { nullable: true }) providerCostNanoUsd!: string | null;
  @Field(() => String, { nullable: true }) chargeNanoUsd!: string | null;
  @Field(() => String, { nullable: true, description: 'SHA-256 of the request body the gateway received' })
  requestSha256!: string | null;
  @Field(() => String, { nullable: true, description: 'SHA-256 of the response body the gateway sent' })
  responseSha256!: string | null;
}

@ObjectType({ description: 'One difference between a provider export and the ledger' })
export class ReconciliationFindingView {
  @Field({
    description:
      'missing_in_ledger | missing_in_export | requests_differ | tokens_differ | cost_differ | request_missing_in_ledger | request_missing_in_export | request_tokens_differ | request_cost_differ',
  })
  kind!: string;
  @Field() day!: string;
  @Field() model!: string;
  @Field(() => String, { nullable: true, description: 'The provider’s request id (request-level findings)' })
  requestId!: string | null;
  @Field({ description: 'Export minus ledger per measure, as JSON (cost in nano-USD)' }) deltas!: string;
  @Field(() => String, { nullable: true, description: 'The export’s side, as JSON' }) provider!:
    string | null;
  @Field(() => String, { nullable: true, description: 'The ledger’s side, as JSON' }) ledger!: string | null;
  @Field(() => [String], { description: 'Gateway request ids behind the ledger’s side (at most 50)' })
  evidence!: string[];
  @Field(() => [EvidenceRequestView], {
    description: 'The audit record of each evidence request: ids, tokens on both counts, price, body hashes',
  })
  evidenceRequests!: EvidenceRequestView[];
}

@ObjectType()
export class ReconciliationReportView {
  @Field(() => [String]) days!: string[];
  @Field(() => Int) exportRows!: number;
  @Field(() => Int) ledgerRequests!: number;
  @Field(() => [ReconciliationFindingView]) findings!: ReconciliationFindingView[];
}
