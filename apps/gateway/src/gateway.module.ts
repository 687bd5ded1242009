import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { PassportModule } from '@nestjs/passport';
import {
  AdminKeyStrategy,
  API_KEY_AUTHENTICATOR,
  ApiKeyAuthenticator,
  IdentityRepository,
} from '@sluice/identity';
import { AdminController } from './admin/admin.controller';
import { IDENTITY_REPOSITORY } from './admin/admin.tokens';
import { IDENTITY_COMMAND_HANDLERS } from './admin/identity.commands';
import { IdentityEventsService } from './admin/identity-events.service';
import { DataPlaneGuard } from './auth/data-plane.guard';
import { DataPlaneHandlers } from './direct/data-plane-handlers';
import { ChatCompletionsController } from './chat/chat-completions.controller';
import { AnthropicController } from './anthropic/anthropic.controller';
import { EmbeddingsController } from './embeddings/embeddings.controller';
import { EmbeddingsService } from './embeddings/embeddings.service';
import { GeminiController } from './gemini/gemini.controller';
import { FirewallService } from './firewall/firewall.service';
import { CountTokensService } from './proxy/count-tokens.service';
import { ProxyService } from './proxy/proxy.service';
import { ResponsesController } from './responses/responses.controller';
import { ResponsesStore } from './responses/responses-store.service';
import { ResponsesService } from './responses/responses.service';
import { UpstreamClient } from './upstream/upstream-client';
import { GATEWAY_RUNTIME, type GatewayRuntime } from './gateway.runtime';
import { HealthController } from './health/health.controller';
import { ModelsController } from './models/models.controller';
import { ModelRouter } from './routing/model-router.service';
import { UsageRecorder } from './usage/usage-recorder.service';
import { BudgetEnforcer } from './budget/budget-enforcer.service';

@Module({})
export class GatewayModule {
  static forRoot(runtime: GatewayRuntime): DynamicModule {
    return {
      module: GatewayModule,
      imports: [PassportModule, CqrsModule.forRoot()],
      controllers: [
        HealthController,
        ModelsController,
        ChatCompletionsController,
        AnthropicController,
        GeminiController,
        EmbeddingsController,
        ResponsesController,
        AdminController,
      ],
      providers: [
        { provide: GATEWAY_RUNTIME, useValue: runtime },
        { provide: IDENTITY_REPOSITORY, useFactory: () => new IdentityRepository(runtime.db) },
        {
          provide: API_KEY_AUTHENTICATOR,
          inject: [IDENTITY_REPOSITORY],
          useFactory: (repo: IdentityRepository) =>
            new ApiKeyAuthenticator(repo, runtime.masterKey, runtime.config.keyCacheTtlMs),
        },
        AdminKeyStrategy,
        IdentityEventsService,
        ...IDENTITY_COMMAND_HANDLERS,
        DataPlaneGuard,
        UsageRecorder,
        BudgetEnforcer,
        ModelRouter,
        UpstreamClient,
        FirewallService,
        ProxyService,
        CountTokensService,
        EmbeddingsService,
        ResponsesStore,
        ResponsesService,
        DataPlaneHandlers,
      ],
    };
  }
}
