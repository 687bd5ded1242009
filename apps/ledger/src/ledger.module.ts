import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type DynamicModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { PassportModule } from '@nestjs/passport';
import { EventStore, SharedReads } from '@sluice/event-store';
import { AdminKeyStrategy } from '@sluice/identity';
import { AccountingResolver, accountingRepositoryProvider } from './accounting/accounting.resolver';
import { AccountingService, accountingBootstrapProvider } from './accounting/accounting.service';
import { HoldExpiryService } from './accounting/hold-expiry.service';
import { AuditResolver, REQUEST_AUDIT_REPOSITORY } from './audit/audit.resolver';
import { BudgetLeaseController } from './budgets/budget-lease.controller';
import { PricePublishingResolver } from './accounting/price-publishing.resolver';
import { BudgetResolver } from './budgets/budget.resolver';
import { BudgetService } from './budgets/budget.service';
import { ProjectionsService } from './projections/projections.service';
import { RequestAuditRepository } from './audit/request-audit.repository';
import { LedgerHealthController } from './health/health.controller';
import { LEDGER_IDENTITY_PROVIDERS } from './identity/identity.providers';
import { UsageConsumer } from './ingest/usage.consumer';
import { LEDGER_EVENT_STORE, UsageIngestService } from './ingest/usage-ingest.service';
import { LEDGER_RUNTIME, LEDGER_SCHEMA, type LedgerRuntime } from './ledger.runtime';
import { createLedgerRunners, LEDGER_RUNNERS } from './projections/ledger-runners';
import { ProjectionThreadService } from './projections/projection-thread.service';
import { ExportsController } from './read-models/exports.controller';
import { ReadModelsResolver } from './read-models/read-models.resolver';
import { ReadModelsService } from './read-models/read-models.service';

@Module({})
export class LedgerModule {
  static forRoot(runtime: LedgerRuntime): DynamicModule {
    const store = new EventStore(LEDGER_SCHEMA);
    // The books, the read models and the hash chain read each batch of the store once between them.
    const shared = new SharedReads(store);
    return {
      module: LedgerModule,
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
          include: [LedgerModule],
        }),
      ],
      controllers: [LedgerHealthController, BudgetLeaseController, ExportsController],
      providers: [
        { provide: LEDGER_RUNTIME, useValue: runtime },
        { provide: LEDGER_EVENT_STORE, useValue: store },
        {
          provide: LEDGER_RUNNERS,
          useValue: createLedgerRunners(runtime.db, store, shared, {
            batchSize: runtime.config.projectionBatch,
            idleMs: runtime.config.projectionIdleMs,
            onError: (projector, err) =>
              runtime.logger.warn(
                { projector, err: err instanceof Error ? err.message : String(err) },
                'projection failed; retrying',
              ),
          }),
        },
        // Before the services that start the runners' loops: in distributed mode they run in a worker thread.
        ProjectionThreadService,
        { provide: REQUEST_AUDIT_REPOSITORY, useValue: new RequestAuditRepository(runtime.db) },
        // The master key and team keys from ledger.api_keys, fed by the gateway's identity events.
        ...LEDGER_IDENTITY_PROVIDERS,
        AdminKeyStrategy,
        // Before the consumer: the default price catalogue is in the store before any usage (an async factory
        // is awaited while the module is built, before every onModuleInit).
        accountingBootstrapProvider,
        UsageIngestService,
        UsageConsumer,
        ProjectionsService,
        AuditResolver,
        AccountingService,
        HoldExpiryService,
        accountingRepositoryProvider,
        AccountingResolver,
        ReadModelsService,
        ReadModelsResolver,
        BudgetService,
        BudgetResolver,
        PricePublishingResolver,
      ],
    };
  }
}
