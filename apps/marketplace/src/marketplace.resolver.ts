import { Inject, UseGuards } from '@nestjs/common';
import { Field, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { AdminAuthGuard } from '@sluice/identity';
import { MARKETPLACE_RUNTIME, type MarketplaceRuntime } from './marketplace.runtime';

@ObjectType({
  description: 'The marketplace service; orders, matching and contracts arrive with the marketplace issue',
})
export class MarketplaceStatus {
  @Field() service!: string;
  @Field() schemaVersion!: string;
}

@Resolver()
@UseGuards(AdminAuthGuard)
export class MarketplaceResolver {
  constructor(@Inject(MARKETPLACE_RUNTIME) private readonly rt: MarketplaceRuntime) {}

  @Query(() => MarketplaceStatus)
  async marketplace(): Promise<MarketplaceStatus> {
    const [row] = await this.rt.db.query<{ version: string }>(
      'SELECT max(version) AS version FROM marketplace.schema_migrations',
    );
    return { service: 'marketplace', schemaVersion: row?.version ?? 'none' };
  }
}
