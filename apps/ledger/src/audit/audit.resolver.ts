import { BadRequestException, Inject, UseGuards } from '@nestjs/common';
import { Args, GraphQLISODateTime, ID, Query, Resolver } from '@nestjs/graphql';
import type { Principal } from '@sluice/identity';
import { LedgerAuthGuard } from '../auth/ledger-auth.guard';
import { LedgerPrincipal } from '../auth/ledger-principal.decorator';
import { canSeeTeam, scopeTeam } from '../auth/team-scope';
import { RequestAudit, UsageDimensionEnum, UsageRow } from './audit.types';
import type { RequestAuditRepository, UsageDimension } from './request-audit.repository';

export const REQUEST_AUDIT_REPOSITORY = Symbol('REQUEST_AUDIT_REPOSITORY');
const MAX_RANGE_MS = 366 * 24 * 3600 * 1000;

/** Admin key: every team. Team key: its own team's requests only (README, "Ledger GraphQL: keys and scopes"). */
@Resolver()
@UseGuards(LedgerAuthGuard)
export class AuditResolver {
  constructor(@Inject(REQUEST_AUDIT_REPOSITORY) private readonly audit: RequestAuditRepository) {}

  @Query(() => RequestAudit, {
    nullable: true,
    description: 'One gateway request by its id (x-request-id); null when unknown or of another team',
  })
  async request(
    @Args('id', { type: () => ID }) id: string,
    @LedgerPrincipal() principal: Principal,
  ): Promise<RequestAudit | null> {
    const r = await this.audit.byRequestId(id);
    // Another team's request looks like an unknown one: a key learns nothing about other teams.
    if (!r || !canSeeTeam(principal, r.teamId)) return null;
    return {
      id: r.requestId,
      eventId: r.eventId,
      team: r.teamId,
      key: r.keyId,
      endpoint: r.endpoint,
      model: r.modelRequested,
      modelServed: r.modelServed,
      provider: r.provider,
      providerRequestId: r.providerRequestId,
      stream: r.stream,
      tokens: {
        input: r.inputUncachedTokens + r.cacheReadTokens + r.cacheWriteTokens,
        inputUncached: r.inputUncachedTokens,
        cacheRead: r.cacheReadTokens,
        cacheWrite: r.cacheWriteTokens,
        output: r.outputTokens,
        reasoning: r.reasoningTokens,
      },
      status: r.status,
      errorCode: r.errorCode,
      latencyMs: r.latencyMs,
      ttfbMs: r.ttfbMs,
      receivedAt: r.receivedAt,
    };
  }

  @Query(() => [UsageRow], {
    description:
      'Requests and tokens received in [from, to), grouped by the given dimensions; of one team when `team` is given (a team key: always its own)',
  })
  async usage(
    @Args('from', { type: () => GraphQLISODateTime }) from: Date,
    @Args('to', { type: () => GraphQLISODateTime }) to: Date,
    @Args('groupBy', { type: () => [UsageDimensionEnum], nullable: true }) groupBy: UsageDimension[] | null,
    @Args('team', { type: () => String, nullable: true }) team: string | null,
    @LedgerPrincipal() principal: Principal,
  ): Promise<UsageRow[]> {
    const teamId = scopeTeam(principal, team);
    if (!(to.getTime() > from.getTime())) throw new BadRequestException('`to` must be after `from`');
    if (to.getTime() - from.getTime() > MAX_RANGE_MS)
      throw new BadRequestException('the range may span at most 366 days');
    const rows = await this.audit.usage(from, to, groupBy ?? [], teamId);
    return rows.map((r) => ({
      requests: r.requests,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      team: r.teamId,
      key: r.keyId,
      model: r.model,
      provider: r.provider,
    }));
  }
}
