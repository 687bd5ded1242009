import { BadRequestException, ConflictException, UseGuards } from '@nestjs/common';
import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { Principal } from '@sluice/identity';
import { MoneyError, usdToNano } from '@sluice/money';
import { ZodError } from 'zod';
import { IdempotencyConflictError } from '../accounting/accounting.service';
import { LedgerAuthGuard } from '../auth/ledger-auth.guard';
import { LedgerPrincipal } from '../auth/ledger-principal.decorator';
import { requireAdmin, scopeTeam } from '../auth/team-scope';
import { BudgetCommandError, BudgetService, type BudgetCommandResult } from './budget.service';
import { BudgetAlertView, BudgetCommandView, BudgetInput, BudgetStatusView } from './budget.types';

@Resolver()
@UseGuards(LedgerAuthGuard)
export class BudgetResolver {
  constructor(private readonly service: BudgetService) {}

  @Query(() => [BudgetStatusView], {
    description: 'Budgets (a team key sees its own team’s) and their state now',
  })
  async budgets(
    @LedgerPrincipal() principal: Principal,
    @Args('team', { type: () => String, nullable: true }) team: string | null,
  ): Promise<BudgetStatusView[]> {
    const rows = await this.service.list(scopeTeam(principal, team));
    return rows.map(({ budget, view }) => ({
      id: budget.id,
      team: budget.scope.teamId,
      keyId: view.keyId,
      unit: view.unit,
      period: view.period,
      enforcement: view.enforcement,
      limit: view.limit,
      alertAtBps: view.alertAtBps,
      periodEnd: view.periodEnd ? new Date(view.periodEnd) : null,
      committed: view.committed,
      state: view.state,
      updatedAt: new Date(budget.updatedAt),
    }));
  }

  @Query(() => [BudgetAlertView], {
    description: 'Budget alerts, newest first: thresholds and limits reached (a team key sees its own)',
  })
  async budgetAlerts(
    @LedgerPrincipal() principal: Principal,
    @Args('team', { type: () => String, nullable: true }) team: string | null,
    @Args('first', { type: () => Int, defaultValue: 50 }) first: number,
  ): Promise<BudgetAlertView[]> {
    const rows = await this.service.alerts(scopeTeam(principal, team), Math.min(Math.max(first, 1), 500));
    return rows.map((a) => ({
      eventId: a.eventId,
      budgetId: a.budgetId,
      team: a.teamId,
      keyId: a.keyId,
      periodStart: new Date(a.periodStart),
      state: a.state,
      enforcement: a.enforcement,
      unit: a.unit,
      limit: a.limit,
      committed: a.committed,
      at: new Date(a.at),
      delivery: a.delivery,
    }));
  }

  @Mutation(() => BudgetCommandView, {
    description:
      'Creates or replaces a budget (budget.set.v1). Idempotent by idempotencyKey. Admin key only.',
  })
  async setBudget(
    @LedgerPrincipal() principal: Principal,
    @Args('budget') input: BudgetInput,
    @Args('idempotencyKey') idempotencyKey: string,
  ): Promise<BudgetCommandView> {
    requireAdmin(principal);
    checkKey(idempotencyKey);
    return this.command(() => {
      if ((input.limit === null) === (input.limitUsd === null))
        throw new BudgetCommandError('give exactly one of limit and limitUsd');
      if (input.limitUsd !== null && input.unit !== 'nano-usd')
        throw new BudgetCommandError('limitUsd is for nano-usd budgets');
      const limit = input.limitUsd !== null ? usdToNano(input.limitUsd).toString() : input.limit;
      return this.service.setBudget(
        {
          budgetId: input.id,
          teamId: input.team,
          keyId: input.keyId,
          unit: input.unit,
          period: input.period,
          limit,
          enforcement: input.enforcement,
          alertAtBps: input.alertAtBps,
        },
        idempotencyKey,
      );
    });
  }

  @Mutation(() => BudgetCommandView, { description: 'Removes a budget (budget.removed.v1). Admin key only.' })
  async removeBudget(
    @LedgerPrincipal() principal: Principal,
    @Args('id') id: string,
    @Args('idempotencyKey') idempotencyKey: string,
  ): Promise<BudgetCommandView> {
    requireAdmin(principal);
    checkKey(idempotencyKey);
    return this.command(() => this.service.removeBudget(id, idempotencyKey));
  }

  private async command(run: () => Promise<BudgetCommandResult>): Promise<BudgetCommandView> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof IdempotencyConflictError) throw new ConflictException(err.message);
      if (err instanceof BudgetCommandError) throw new BadRequestException(err.message);
      if (err instanceof ZodError)
        throw new BadRequestException(err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      if (err instanceof MoneyError) throw new BadRequestException(err.message);
      throw err;
    }
  }
}

function checkKey(idempotencyKey: string): void {
  if (!/^[\x21-\x7e]{1,200}$/.test(idempotencyKey))
    throw new BadRequestException('idempotencyKey must be 1-200 printable ASCII characters');
}
