import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Inject,
  UseGuards,
} from '@nestjs/common';
import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { normalizedUsageSchema } from '@sluice/events';
import { AdminAuthGuard, type Principal } from '@sluice/identity';
import { formatNanoUsd, usdToNano } from '@sluice/money';
import { LedgerAuthGuard } from '../auth/ledger-auth.guard';
import { LedgerPrincipal } from '../auth/ledger-principal.decorator';
import { canSeeTeam, scopeTeam } from '../auth/team-scope';
import { LEDGER_RUNTIME, LEDGER_SCHEMA, type LedgerRuntime } from '../ledger.runtime';
import { AccountingRepository } from './accounting.repository';
import {
  AccountingService,
  commandEventId,
  IdempotencyConflictError,
  LEDGER_PRODUCER,
  type CommandResult,
} from './accounting.service';
import {
  AccountBalanceView,
  BooksCheckView,
  CorrectedUsageInput,
  LedgerCommandResult,
  PriceView,
  ReconciliationReportView,
  TransferPageView,
} from './accounting.types';
import { isAccountingError } from './domain/accounting.errors';
import { runReconciliation } from './reconciliation/reconcile-command';
import { accountIds, accountSpec } from './domain/accounts';
import {
  CREDIT_TOPPED_UP_V1,
  LEDGER_CORRECTION_V1,
  creditToppedUpV1Schema,
  ledgerCorrectionV1Schema,
} from './domain/ledger-events';

export const ACCOUNTING_REPOSITORY = Symbol('ACCOUNTING_REPOSITORY');
const MAX_PAGE = 500;

function badRequest(err: unknown): never {
  if (err instanceof BadRequestException) throw err;
  throw new BadRequestException(err instanceof Error ? err.message : String(err));
}

/** The team an account belongs to (`team:<id>`, `receivable:<id>`); null for platform-wide accounts. */
function accountTeam(account: string): string | null {
  const m = /^(?:team|receivable):(.+)$/.exec(account);
  return m?.[1] ?? null;
}

/** The team's credit account first, then its receivable; a malformed team id is the caller's error. */
function teamAccounts(teamId: string): [string, string] {
  try {
    return [accountIds.team(teamId), accountIds.receivable(teamId)];
  } catch (err) {
    badRequest(err);
  }
}

/** A named account must be the caller's (a team key sees only its team's accounts). */
function checkAccount(principal: Principal, account: string): void {
  if (!canSeeTeam(principal, accountTeam(account)))
    throw new ForbiddenException(`this key may only read the accounts of team ${principal.teamId}`);
}

/**
 * Reads: the admin key sees every account; a team key only its team's (`team:<id>`,
 * `receivable:<id>`). Commands, the price catalogue and the books check: admin key only.
 */
@Resolver()
@UseGuards(LedgerAuthGuard)
export class AccountingResolver {
  constructor(
    @Inject(ACCOUNTING_REPOSITORY) private readonly repo: AccountingRepository,
    private readonly accounting: AccountingService,
    @Inject(LEDGER_RUNTIME) private readonly rt: LedgerRuntime,
  ) {}

  @Query(() => [AccountBalanceView], {
    description:
      'Balances of every account, of one account key, or of one team’s accounts (a team key: its own team’s)',
  })
  async balances(
    @Args('account', { type: () => String, nullable: true }) account: string | null,
    @Args('team', { type: () => String, nullable: true }) team: string | null,
    @LedgerPrincipal() principal: Principal,
  ): Promise<AccountBalanceView[]> {
    const teamId = scopeTeam(principal, team);
    let rows;
    if (account) {
      checkAccount(principal, account);
      rows = await this.repo.balances(account);
    } else if (teamId !== null) {
      const ids = teamAccounts(teamId);
      rows = (await Promise.all(ids.map((id) => this.repo.balances(id)))).flat();
    } else {
      rows = await this.repo.balances(null);
    }
    return rows.map((r) => ({
      account: r.id,
      kind: r.kind,
      normalSide: r.normalSide,
      debitsPostedNanoUsd: r.debitsPosted.toString(),
      creditsPostedNanoUsd: r.creditsPosted.toString(),
      debitsPendingNanoUsd: r.debitsPending.toString(),
      creditsPendingNanoUsd: r.creditsPending.toString(),
      balanceNanoUsd: r.balanceNanoUsd.toString(),
      availableNanoUsd: r.availableNanoUsd.toString(),
      balanceUsd: formatNanoUsd(r.balanceNanoUsd),
    }));
  }

  @Query(() => TransferPageView, {
    description:
      'The journal, oldest first, optionally for one account or one team’s credit account (a team key: its own team’s)',
  })
  async transfers(
    @Args('account', { type: () => String, nullable: true }) account: string | null,
    @Args('first', { type: () => Int, defaultValue: 50 }) first: number,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
    @Args('team', { type: () => String, nullable: true }) team: string | null,
    @LedgerPrincipal() principal: Principal,
  ): Promise<TransferPageView> {
    const teamId = scopeTeam(principal, team);
    if (account) checkAccount(principal, account);
    const scopedAccount = account || (teamId === null ? null : teamAccounts(teamId)[0]);
    if (first < 1 || first > MAX_PAGE) throw new BadRequestException(`first must be 1-${MAX_PAGE}`);
    if (after !== null && after !== undefined && !/^\d{1,19}$/.test(after))
      throw new BadRequestException('after must be a cursor returned as endCursor');
    const page = await this.repo.transfers(scopedAccount, first, after ?? null);
    return {
      endCursor: page.endCursor,
      hasNextPage: page.hasNextPage,
      items: page.items.map((t) => ({
        id: t.id,
        seq: t.seq,
        kind: t.kind,
        debitAccount: t.debitAccountId,
        creditAccount: t.creditAccountId,
        amountNanoUsd: t.amountNanoUsd.toString(),
        amountUsd: formatNanoUsd(t.amountNanoUsd),
        code: t.code,
        eventId: t.eventId,
        leg: t.leg,
        pendingId: t.pendingId,
        timeoutAt: t.timeoutAt === null ? null : new Date(t.timeoutAt),
        correctsTransferId: t.correctsTransferId,
        bookedAt: new Date(t.bookedAt),
        ref: JSON.stringify(t.ref),
      })),
    };
  }

  @Query(() => [PriceView], {
    description: 'Price catalogue entries (every version) whose model or pattern matches `model`',
  })
  @UseGuards(AdminAuthGuard)
  async prices(
    @Args('model', { type: () => String, nullable: true }) model: string | null,
  ): Promise<PriceView[]> {
    const rows = await this.repo.prices(model ?? null);
    return rows.map((r) => ({ ...r, team: r.teamId }));
  }

  @Query(() => BooksCheckView, { description: 'verify-balances: debits = credits, balances = journal' })
  @UseGuards(AdminAuthGuard)
  async booksCheck(): Promise<BooksCheckView> {
    const c = await this.repo.check();
    return {
      balanced: c.balanced,
      debitsPostedNanoUsd: c.debitsPosted.toString(),
      creditsPostedNanoUsd: c.creditsPosted.toString(),
      debitsPendingNanoUsd: c.debitsPending.toString(),
      creditsPendingNanoUsd: c.creditsPending.toString(),
      accounts: c.accounts,
      transfers: c.transfers,
      discrepantAccounts: c.discrepancies.map((d) => d.accountId),
    };
  }

  @Mutation(() => LedgerCommandResult, {
    description:
      'Credits a team (credit.topped_up.v1). Idempotent: the event id derives from (team, idempotencyKey).',
  })
  @UseGuards(AdminAuthGuard)
  async topUp(
    @Args('team') team: string,
    @Args('amountUsd', { description: 'Exact decimal USD, at most 9 decimals' }) amountUsd: string,
    @Args('idempotencyKey') idempotencyKey: string,
    @Args('source', { type: () => String, nullable: true, description: 'cash:<source>, default manual' })
    source: string | null,
    @Args('reference', { type: () => String, nullable: true }) reference: string | null,
  ): Promise<LedgerCommandResult> {
    let data;
    try {
      accountIds.team(team);
      const src = source ?? 'manual';
      accountSpec(accountIds.cash(src));
      const amount = usdToNano(amountUsd);
      if (amount <= 0n) throw new BadRequestException('amountUsd must be positive');
      data = creditToppedUpV1Schema.parse({
        teamId: team,
        amountNanoUsd: amount.toString(),
        source: src,
        reference: reference ?? null,
      });
    } catch (err) {
      badRequest(err);
    }
    this.checkKey(idempotencyKey);
    return this.run({
      eventId: commandEventId(CREDIT_TOPPED_UP_V1, team, idempotencyKey),
      type: CREDIT_TOPPED_UP_V1,
      subject: team,
      occurredAt: new Date().toISOString(),
      producer: LEDGER_PRODUCER,
      correlationId: idempotencyKey,
      data,
    });
  }

  @Mutation(() => LedgerCommandResult, {
    description:
      'Reverses an event’s transfers (ledger.correction.v1) and, for usage, reposts the corrected token counts at the original price. Idempotent by idempotencyKey.',
  })
  @UseGuards(AdminAuthGuard)
  async correction(
    @Args('eventId', { type: () => ID }) eventId: string,
    @Args('reason') reason: string,
    @Args('idempotencyKey') idempotencyKey: string,
    @Args('correctedUsage', { type: () => CorrectedUsageInput, nullable: true })
    correctedUsage: CorrectedUsageInput | null,
  ): Promise<LedgerCommandResult> {
    this.checkKey(idempotencyKey);
    let data;
    try {
      data = ledgerCorrectionV1Schema.parse({
        correctsEventId: eventId,
        reason,
        ...(correctedUsage ? { correctedUsage: normalizedUsageSchema.parse({ ...correctedUsage }) } : {}),
      });
    } catch (err) {
      badRequest(err);
    }
    const [original] = await this.accounting.findEvent(eventId);
    if (!original) throw new BadRequestException(`no event ${eventId} in the ledger`);
    return this.run({
      eventId: commandEventId(LEDGER_CORRECTION_V1, 'correction', idempotencyKey),
      type: LEDGER_CORRECTION_V1,
      subject: original.subject,
      occurredAt: new Date().toISOString(),
      producer: LEDGER_PRODUCER,
      correlationId: idempotencyKey,
      data,
    });
  }

  @Mutation(() => ReconciliationReportView, {
    description:
      'Matches a provider usage export (format csv | openai-usage | anthropic-usage) against the ledger over the days it covers and lists every difference with its evidence',
  })
  @UseGuards(AdminAuthGuard)
  async reconcile(
    @Args('provider') provider: string,
    @Args('format') format: string,
    @Args('content', { description: 'The export file as text' }) content: string,
  ): Promise<ReconciliationReportView> {
    let report;
    try {
      report = await runReconciliation(this.rt.db, LEDGER_SCHEMA, provider, format, content);
    } catch (err) {
      badRequest(err);
    }
    return {
      days: report.days,
      exportRows: report.exportRows,
      ledgerRequests: report.ledgerRequests,
      findings: report.findings.map((f) => ({
        kind: f.kind,
        day: f.day,
        model: f.model,
        requestId: f.requestId,
        deltas: JSON.stringify(f.deltas),
        provider: f.provider === null ? null : JSON.stringify(f.provider),
        ledger: f.ledger === null ? null : JSON.stringify(f.ledger),
        evidence: f.evidence,
        evidenceRequests: f.evidenceRequests.map((r) => ({
          ...r,
          receivedAt: new Date(r.receivedAt),
          providerTokens: JSON.stringify(r.providerTokens),
          gatewayTokens: JSON.stringify(r.gatewayTokens),
        })),
      })),
    };
  }

  private checkKey(key: string): void {
    if (key.length < 1 || key.length > 200)
      throw new BadRequestException('idempotencyKey must be 1-200 characters');
  }

  private async run(event: Parameters<AccountingService['append']>[0]): Promise<CommandResult> {
    try {
      return await this.accounting.append(event);
    } catch (err) {
      if (err instanceof IdempotencyConflictError) throw new ConflictException(err.message);
      if (isAccountingError(err)) throw new BadRequestException(err.message);
      throw err;
    }
  }
}

export const accountingRepositoryProvider = {
  provide: ACCOUNTING_REPOSITORY,
  inject: [LEDGER_RUNTIME],
  useFactory: (rt: LedgerRuntime): AccountingRepository => new AccountingRepository(rt.db, LEDGER_SCHEMA),
};
