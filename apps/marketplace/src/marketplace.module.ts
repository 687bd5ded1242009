import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type DynamicModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { PassportModule } from '@nestjs/passport';
import { AdminKeyStrategy, API_KEY_AUTHENTICATOR, ApiKeyAuthenticator } from '@sluice/identity';
import { MarketplaceHealthController } from './health/health.controller';
import { MarketplaceResolver } from './marketplace.resolver';
import { MARKETPLACE_RUNTIME, type MarketplaceRuntime } from './marketplace.runtime';

@Module({})
export class MarketplaceModule {
  static forRoot(runtime: MarketplaceRuntime): DynamicModule {
    return {
      module: MarketplaceModule,
      imports: [
        PassportModule,
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          autoSchemaFile: true,
          sortSchema: true,
          playground: false,
          introspection: true,
          includeStacktraceInErrorResponses: false,
          include: [MarketplaceModule],
        }),
      ],
      controllers: [MarketplaceHealthController],
      providers: [
        { provide: MARKETPLACE_RUNTIME, useValue: runtime },
        { provide: API_KEY_AUTHENTICATOR, useValue: new ApiKeyAuthenticator(null, runtime.masterKey, 0) },
        AdminKeyStrategy,
        MarketplaceResolver,
      ],
    };
  }
}
