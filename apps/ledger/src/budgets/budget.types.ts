import { Field, GraphQLISODateTime, InputType, Int, ObjectType } from '@nestjs/graphql';

// Limits and spend cross GraphQL as decimal integer strings (nano-USD or tokens, per `unit`).

@ObjectType({ description: 'A budget and where its current period stands' })
export class BudgetStatusView {
  @Field() id!: string;
  @Field() team!: string;
  @Field(() => String, { nullable: true, description: 'Set for a per-API-key budget' }) keyId!: string | null;
  @Field({ description: 'nano-usd or tokens' }) unit!: string;
  @Field({ description: 'day | month | total (UTC periods)' }) period!: string;
  @Field({ description: 'soft (alert) or hard (refuse before the provider)' }) enforcement!: string;
  @Field({ description: 'In the unit, as a decimal integer string' }) limit!: string;
  @Field(() => Int, { nullable: true, description: 'Alert threshold, basis points of the limit' })
  alertAtBps!: number | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) periodEnd!: Date | null;
  @Field({
    description:
      'Hard budgets: spend settled by gateways plus what open leases reserve; soft budgets: spend posted in the period',
  })
  committed!: string;
  @Field({ description: 'ok | alert | exceeded' }) state!: string;
  @Field(() => GraphQLISODateTime) updatedAt!: Date;
}

@InputType()
export class BudgetInput {
  @Field({ description: 'Your id for the budget; setting it again replaces it' }) id!: string;
  @Field() team!: string;
  @Field(() => String, { nullable: true, description: 'An API key id (tok_… key’s id) for a per-key budget' })
  keyId!: string | null;
  @Field({ description: 'nano-usd or tokens' }) unit!: string;
  @Field({ description: 'day | month | total' }) period!: string;
  @Field(() => String, {
    description: 'Decimal integer in the unit; for money you may pass limitUsd instead',
    nullable: true,
  })
  limit!: string | null;
  @Field(() => String, { nullable: true, description: 'Exact decimal USD (unit nano-usd only)' })
  limitUsd!: string | null;
  @Field({ description: 'soft or hard' }) enforcement!: string;
  @Field(() => Int, { nullable: true }) alertAtBps!: number | null;
}

@ObjectType()
export class BudgetCommandView {
  @Field() eventId!: string;
  @Field({ description: 'false when the idempotency key had already been used (nothing changed)' })
  created!: boolean;
}

@ObjectType({ description: 'How a budget alert is being pushed to the webhook' })
export class BudgetAlertDeliveryView {
  @Field({ description: 'pending | delivered | failed (given up after the last attempt)' }) state!: string;
  @Field(() => Int) attempts!: number;
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the next attempt is due (pending)' })
  nextAttemptAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) lastAttemptAt!: Date | null;
  @Field(() => Int, { nullable: true, description: 'The receiver’s HTTP status at the last attempt' })
  lastStatus!: number | null;
  @Field(() => String, { nullable: true, description: 'Why the last attempt failed' }) lastError!:
    string | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) deliveredAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) failedAt!: Date | null;
}

@ObjectType({
  description: 'A budget reached its alert threshold or its limit in a period (budget.alerted.v1)',
})
export class BudgetAlertView {
  @Field({ description: 'The alert event’s id (the webhook’s Idempotency-Key)' }) eventId!: string;
  @Field() budgetId!: string;
  @Field() team!: string;
  @Field(() => String, { nullable: true }) keyId!: string | null;
  @Field(() => GraphQLISODateTime) periodStart!: Date;
  @Field({ description: 'alert | exceeded' }) state!: string;
  @Field() enforcement!: string;
  @Field() unit!: string;
  @Field() limit!: string;
  @Field({ description: 'What the budget had committed when the ledger saw it' }) committed!: string;
  @Field(() => GraphQLISODateTime) at!: Date;
  @Field(() => BudgetAlertDeliveryView, {
    nullable: true,
    description: 'Its webhook delivery; null when no webhook was configured when it was recorded',
  })
  delivery!: BudgetAlertDeliveryView | null;
}
