import { BadRequestException, Body, Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { leaseSyncRequestSchema, type LeaseSyncResponse, type TeamPriceResponse } from '@sluice/budgets';
import type { Principal } from '@sluice/identity';
import { LedgerAuthGuard } from '../auth/ledger-auth.guard';
import { LedgerPrincipal } from '../auth/ledger-principal.decorator';
import { requireAdmin } from '../auth/team-scope';
import { BudgetService } from './budget.service';

/**
 * The gateways' side door (service to service, the admin key): spend-lease syncs and the team prices a
 * gateway needs to count spend locally. Called when a lease runs out or a price is first needed, never
 * per request.
 */
@Controller('internal/v1')
@UseGuards(LedgerAuthGuard)
export class BudgetLeaseController {
  constructor(private readonly budgets: BudgetService) {}

  @Post('budget-leases')
  @HttpCode(200)
  async sync(@LedgerPrincipal() principal: Principal, @Body() body: unknown): Promise<LeaseSyncResponse> {
    requireAdmin(principal);
    const parsed = leaseSyncRequestSchema.safeParse(body);
    if (!parsed.success)
      throw new BadRequestException(
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    return this.budgets.sync(parsed.data);
  }

  @Get('team-price')
  async teamPrice(
    @LedgerPrincipal() principal: Principal,
    @Query('team') team: string | undefined,
    @Query('provider') provider: string | undefined,
    @Query('model') model: string | undefined,
  ): Promise<TeamPriceResponse> {
    requireAdmin(principal);
    if (!team || !provider || !model) throw new BadRequestException('team, provider and model are required');
    return this.budgets.teamPrice(team, provider, model);
  }
}
