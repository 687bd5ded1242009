import { Field, Float, ID, Int, ObjectType, registerEnumType, GraphQLISODateTime } from '@nestjs/graphql';

/** GraphQL Int is 32-bit; token sums outgrow it, so counts are Float (exact below 2^53). */
@ObjectType({
  description: 'Token counts of one request, as reported by the provider and normalised by the gateway',
})
export class TokenCounts {
  @Field(() => Float, { description: 'All input tokens: uncached + cache read + cache write' })
  input!: number;
  @Field(() => Float) inputUncached!: number;
  @Field(() => Float) cacheRead!: number;
  @Field(() => Float) cacheWrite!: number;
  @Field(() => Float, { description: 'Output tokens, reasoning included' }) output!: number;
  @Field(() => Float, { description: 'The part of output spent on reasoning' }) reasoning!: number;
}

@ObjectType({ description: 'The audit row of one gateway request' })
export class RequestAudit {
  @Field(() => ID, { description: 'The gateway request id (the x-request-id response header)' }) id!: string;
  @Field(() => ID) eventId!: string;
  @Field() team!: string;
  @Field(() => String, { nullable: true }) key!: string | null;
  @Field() endpoint!: string;
  @Field(() => String, { nullable: true, description: 'The model the client asked for' }) model!:
    string | null;
  @Field(() => String, { nullable: true }) modelServed!: string | null;
  @Field(() => String, { nullable: true }) provider!: string | null;
  @Field(() => String, { nullable: true }) providerRequestId!: string | null;
  @Field() stream!: boolean;
  @Field(() => TokenCounts) tokens!: TokenCounts;
  @Field(() => Int) status!: number;
  @Field(() => String, { nullable: true }) errorCode!: string | null;
  @Field(() => Float) latencyMs!: number;
  @Field(() => Float, { nullable: true, description: 'Time to the first byte sent to the client' }) ttfbMs!:
    number | null;
  @Field(() => GraphQLISODateTime, { description: 'When the gateway received the request' })
  receivedAt!: Date;
}

export const UsageDimensionEnum = { TEAM: 'team', KEY: 'key', MODEL: 'model', PROVIDER: 'provider' } as const;
registerEnumType(UsageDimensionEnum, { name: 'UsageDimension' });

@ObjectType({ description: 'Usage of one group in a period; the group keys not grouped by are null' })
export class UsageRow {
  @Field(() => Float) requests!: number;
  @Field(() => Float) inputTokens!: number;
  @Field(() => Float) outputTokens!: number;
  @Field(() => String, { nullable: true }) team!: string | null;
  @Field(() => String, { nullable: true }) key!: string | null;
  @Field(() => String, { nullable: true }) model!: string | null;
  @Field(() => String, { nullable: true }) provider!: string | null;
}
