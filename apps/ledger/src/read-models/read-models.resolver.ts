import { UseGuards } from '@nestjs/common';
import { Args, GraphQLISODateTime, ID, Int, Query, Resolver } from '@nestjs/graphql';
import type { Principal } from '@sluice/identity';
import { formatNanoUsd } from '@sluice/money';
import { UsageDimensionEnum } from '../audit/audit.types';
import { LedgerAuthGuard } from '../auth/ledger-auth.guard';
import { LedgerPrincipal } from '../auth/ledger-principal.decorator';
import { canSeeTeam, requireAdmin, scopeTeam } from '../auth/team-scope';
import type { FullAuditRecord, UsageDimension } from './read-models.repository';
import { ReadModelsService } from './read-models.service';
import {
  AuditFilterInput,
  AuditPageView,
  AuditRecordView,
  ProviderQualityView,
  StatementView,
  TimeBucketEnum,
  UsageReportRowView,
} from './read-models.types';
import type { TimeBucket } from './time-buckets';

const usd = (n: bigint | null): string | null => (n === null ? null : formatNanoUsd(n));
const text = (n: bigint | null): string | null => (n === null ? null : n.toString());

function auditView(r: FullAuditRecord, transferIds: string[], correctedBy: string[]): AuditRecordView {
  return {
    id: r.requestId,
    eventId: r.eventId,
    eventPosition: r.eventPosition,
    team: r.teamId,
    key: r.keyId,
    endpoint: r.endpoint,
    modelRequested: r.modelRequested,
    modelServed: r.modelServed,
    provider: r.provider,
    providerRequestId: r.providerRequestId,
    stream: r.stream,
    status: r.status,
    errorCode: r.errorCode,
    receivedAt: r.receivedAt,
    occurredAt: r.occurredAt,
    latencyMs: r.latencyMs,
    ttfbMs: r.ttfbMs,
    ttftMs: r.ttftMs,
    tokens: {
      input: r.inputUncachedTokens + r.cacheReadTokens + r.cacheWriteTokens,
      inputUncached: r.inputUncachedTokens,
      cacheRead: r.cacheReadTokens,
      cacheWrite: r.cacheWriteTokens,
      output: r.outputTokens,
      reasoning: r.reasoningTokens,
    },
    rawUsage: r.rawUsage === null ? null : JSON.stringify(r.rawUsage),
    gatewayTokens: { input: r.gatewayInputTokens, output: r.gatewayOutputTokens },
    requestSha256: r.requestSha256,
    responseSha256: r.responseSha256,
    firewall: Array.isArray(r.firewall) ? (r.firewall as AuditRecordView['firewall']) : [],
    cost: {
      status: r.costStatus ?? 'unknown',
      listPriceVersion: r.listPriceVersion,
      teamPriceVersion: r.teamPriceVersion,
      basis: r.priceBasis,
      tier: r.priceTier,
      chargeNanoUsd: text(r.chargeNanoUsd),
      chargeUsd: usd(r.chargeNanoUsd),
      providerCostNanoUsd: text(r.providerCostNanoUsd),
      marginNanoUsd: text(r.marginNanoUsd),
      subsidyNanoUsd: text(r.subsidyNanoUsd),
      roundingNanoUsd: text(r.roundingNanoUsd),
      teamExactFemtoUsd: text(r.teamExactFemtoUsd),
      providerExactFemtoUsd: text(r.providerExactFemtoUsd),
    },
    transferIds,
    correctedBy,
  };
}

/**
 * The read models over GraphQL: usage per bucket, the audit record, provider quality, statements. An admin
 * key sees every team; a team key its own (team-scope.ts); provider quality is platform-wide: admin only.
 */
@Resolver()
@UseGuards(LedgerAuthGuard)
export class ReadModelsResolver {
  constructor(private readonly readModels: ReadModelsService) {}

  @Query(() => [UsageReportRowView], {
    description:
      'Usage in [from, to) (whole UTC hours) per time bucket, grouped by the given dimensions; from the hourly table',
  })
  async usageReport(
    @Args('from', { type: () => GraphQLISODateTime }) from: Date,
    @Args('to', { type: () => GraphQLISODateTime }) to: Date,
    @Args('bucket', { type: () => TimeBucketEnum, defaultValue: 'day' }) bucket: TimeBucket,
    @Args('groupBy', { type: () => [UsageDimensionEnum], nullable: true }) groupBy: UsageDimension[] | null,
    @Args('team', { type: () => String, nullable: true }) team: string | null,
    @LedgerPrincipal() principal: Principal,
  ): Promise<UsageReportRowView[]> {
    const teamId = scopeTeam(principal, team);
    const rows = await this.readModels.usage({ from, to, bucket, groupBy: groupBy ?? [], teamId });
    return rows.map((r) => ({
      bucketStart: r.bucketStart,
      team: r.teamId,
      key: r.keyId,
      model: r.model,
      provider: r.provider,
      requests: r.requests,
      errors: r.errors,
      inputTokens: r.inputUncachedTokens + r.cacheReadTokens + r.cacheWriteTokens,
      inputUncachedTokens: r.inputUncachedTokens,
      cacheReadTokens: r.cacheReadTokens,
      cacheWriteTokens: r.cacheWriteTokens,
      outputTokens: r.outputTokens,
      reasoningTokens: r.reasoningTokens,
      costNanoUsd: r.costNanoUsd.toString(),
      costUsd: formatNanoUsd(r.costNanoUsd),
      providerCostNanoUsd: r.providerCostNanoUsd.toString(),
      unpricedRequests: r.unpricedRequests,
    }));
  }

  @Query(() => AuditRecordView, {
    nullable: true,
    description: "One request's full audit record by its id; null when unknown or of another team",
  })
  async auditRecord(
    @Args('id', { type: () => ID }) id: string,
    @LedgerPrincipal() principal: Principal,
  ): Promise<AuditRecordView | null> {
    const found = await this.readModels.audit(id);
    if (!found || !canSeeTeam(principal, found.record.teamId)) return null;
    return auditView(found.record, found.transferIds, found.correctedBy);
  }

  @Query(() => AuditPageView, {
    description: 'Audit records by filter, newest first, cursor-paged (at most 500)',
  })
  async auditRecords(
    @Args('filter', { type: () => AuditFilterInput, nullable: true }) filter: AuditFilterInput | null,
    @Args('first', { type: () => Int, defaultValue: 50 }) first: number,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
    @LedgerPrincipal() principal: Principal,
  ): Promise<AuditPageView> {
    const f = filter ?? {};
    const page = await this.readModels.auditPage(
      {
        teamId: scopeTeam(principal, f.team),
        keyId: f.key ?? null,
        model: f.model ?? null,
        provider: f.provider ?? null,
        status: f.status ?? null,
        errorsOnly: f.errorsOnly === true,
        from: f.from ?? null,
        to: f.to ?? null,
      },
      first,
      after ?? null,
    );
    // Transfer ids and corrections are for the one-record view; a page leaves them empty rather than query per row.
    return {
      items: page.items.map((r) => auditView(r, [], [])),
      endCursor: page.endCursor,
      hasNextPage: page.hasNextPage,
    };
  }

  @Query(() => [ProviderQualityView], {
    description:
      'Provider quality in [from, to) (whole UTC hours) per bucket, provider and model (admin key)',
  })
  async providerQuality(
    @Args('from', { type: () => GraphQLISODateTime }) from: Date,
    @Args('to', { type: () => GraphQLISODateTime }) to: Date,
    @Args('bucket', { type: () => TimeBucketEnum, defaultValue: 'day' }) bucket: TimeBucket,
    @Args('provider', { type: () => String, nullable: true }) provider: string | null,
    @Args('model', { type: () => String, nullable: true }) model: string | null,
    @LedgerPrincipal() principal: Principal,
  ): Promise<ProviderQualityView[]> {
    requireAdmin(principal);
    return this.readModels.quality(from, to, bucket, provider ?? null, model ?? null);
  }

  @Query(() => StatementView, { description: "A team's statement over [from, to), from the books" })
  async statement(
    @Args('team') team: string,
    @Args('from', { type: () => GraphQLISODateTime }) from: Date,
    @Args('to', { type: () => GraphQLISODateTime }) to: Date,
    @LedgerPrincipal() principal: Principal,
  ): Promise<StatementView> {
    const s = await this.readModels.statement(scopeTeam(principal, team) ?? team, from, to);
    return {
      team: s.teamId,
      from: s.from,
      to: s.to,
      openingBalanceNanoUsd: s.openingNanoUsd.toString(),
      openingBalanceUsd: formatNanoUsd(s.openingNanoUsd),
      topUpsNanoUsd: s.topUpsNanoUsd.toString(),
      usage: s.usage.map((u) => ({
        model: u.model,
        requests: u.requests,
        amountNanoUsd: u.amountNanoUsd.toString(),
        amountUsd: formatNanoUsd(u.amountNanoUsd),
      })),
      usageNanoUsd: s.usageNanoUsd.toString(),
      correctionsNanoUsd: s.correctionsNanoUsd.toString(),
      expiriesNanoUsd: s.expiriesNanoUsd.toString(),
      overdraftNanoUsd: s.overdraftNanoUsd.toString(),
      marketplaceNanoUsd: s.marketplaceNanoUsd.toString(),
      otherNanoUsd: s.otherNanoUsd.toString(),
      closingBalanceNanoUsd: s.closingNanoUsd.toString(),
      closingBalanceUsd: formatNanoUsd(s.closingNanoUsd),
    };
  }
}
