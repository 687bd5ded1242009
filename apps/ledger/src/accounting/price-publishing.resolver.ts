import { BadRequestException, ConflictException, Inject, UseGuards } from '@nestjs/common';
import {
  Args,
  Field,
  GraphQLISODateTime,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Resolver,
} from '@nestjs/graphql';
import type { EventStore } from '@sluice/event-store';
import type { Principal } from '@sluice/identity';
import { MoneyError } from '@sluice/money';
import { ZodError } from 'zod';
import { LedgerAuthGuard } from '../auth/ledger-auth.guard';
import { LedgerPrincipal } from '../auth/ledger-principal.decorator';
import { requireAdmin } from '../auth/team-scope';
import { LEDGER_EVENT_STORE } from '../ingest/usage-ingest.service';
import { LEDGER_RUNTIME, type LedgerRuntime } from '../ledger.runtime';
import { AccountingService, IdempotencyConflictError } from './accounting.service';
import { publishPrices, type UsdRates } from './price-publishing';

@InputType({ description: 'One price of a publication, in USD per million tokens (exact decimals)' })
export class PriceEntryInput {
  @Field() provider!: string;
  @Field({ description: 'Exact model name or * pattern' }) model!: string;
  @Field(() => String, { nullable: true, description: 'All four null: withdraw the pattern' })
  inputUsdPerMTok!: string | null;
  @Field(() => String, { nullable: true }) outputUsdPerMTok!: string | null;
  @Field(() => String, { nullable: true }) cacheReadUsdPerMTok!: string | null;
  @Field(() => String, { nullable: true }) cacheWriteUsdPerMTok!: string | null;
  @Field({ description: 'Where the price comes from: a URL or a contract reference' }) source!: string;
  @Field({ description: 'The day it was read, YYYY-MM-DD' }) sourceDate!: string;
}

@ObjectType()
export class PricePublicationView {
  @Field() eventId!: string;
  @Field(() => Int, { description: 'The catalogue version this publication got' }) version!: number;
  @Field({ description: 'false when the idempotency key had already been used' }) created!: boolean;
}

/** Price publishing (admin): a new catalogue version, list prices or one team's negotiated rates. */
@Resolver()
@UseGuards(LedgerAuthGuard)
export class PricePublishingResolver {
  constructor(
    @Inject(LEDGER_RUNTIME) private readonly rt: LedgerRuntime,
    @Inject(LEDGER_EVENT_STORE) private readonly store: EventStore,
    private readonly accounting: AccountingService,
  ) {}

  @Mutation(() => PricePublicationView, {
    description:
      'Publishes prices (price.published.v1) as the next catalogue version: list prices, or a team’s negotiated rates when `team` is given. Usage that occurred from effectiveFrom on is priced with them; earlier usage never changes. Idempotent by idempotencyKey. Admin key only.',
  })
  async publishPrices(
    @LedgerPrincipal() principal: Principal,
    @Args('effectiveFrom', { type: () => GraphQLISODateTime }) effectiveFrom: Date,
    @Args('entries', { type: () => [PriceEntryInput] }) entries: PriceEntryInput[],
    @Args('idempotencyKey') idempotencyKey: string,
    @Args('team', { type: () => String, nullable: true }) team: string | null,
    @Args('marginBps', {
      type: () => Int,
      nullable: true,
      description: 'Margin on list prices, basis points',
    })
    marginBps: number | null,
  ): Promise<PricePublicationView> {
    requireAdmin(principal);
    if (!/^[\x21-\x7e]{1,200}$/.test(idempotencyKey))
      throw new BadRequestException('idempotencyKey must be 1-200 printable ASCII characters');
    try {
      const result = await this.rt.db.transaction((tx) =>
        publishPrices(
          tx,
          this.store,
          {
            scope: team === null ? { kind: 'list' } : { kind: 'team', teamId: team },
            effectiveFrom: effectiveFrom.toISOString(),
            entries: entries.map((e) => ({
              provider: e.provider,
              model: e.model,
              usdPerMTok: usdRates(e),
              longContext: null,
              source: e.source,
              sourceDate: e.sourceDate,
            })),
            ...(marginBps !== null ? { marginBps } : {}),
          },
          idempotencyKey,
        ),
      );
      this.accounting.runner.wake();
      return result;
    } catch (err) {
      if (err instanceof IdempotencyConflictError) throw new ConflictException(err.message);
      if (err instanceof MoneyError) throw new BadRequestException(err.message);
      if (err instanceof ZodError)
        throw new BadRequestException(err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      throw err;
    }
  }
}

function usdRates(e: PriceEntryInput): UsdRates | null {
  const all = [e.inputUsdPerMTok, e.outputUsdPerMTok, e.cacheReadUsdPerMTok, e.cacheWriteUsdPerMTok];
  if (all.every((x) => x === null)) return null;
  if (all.some((x) => x === null))
    throw new BadRequestException(`${e.provider}/${e.model}: give all four rates, or none to withdraw`);
  return {
    input: e.inputUsdPerMTok!,
    output: e.outputUsdPerMTok!,
    cacheRead: e.cacheReadUsdPerMTok!,
    cacheWrite: e.cacheWriteUsdPerMTok!,
  };
}
