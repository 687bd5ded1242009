import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { MarketplaceModule } from './marketplace.module';
import type { MarketplaceRuntime } from './marketplace.runtime';

export async function createMarketplaceApp(rt: MarketplaceRuntime): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    MarketplaceModule.forRoot(rt),
    new FastifyAdapter({ logger: false }),
    {
      logger: ['error', 'warn'],
    },
  );
  await app.init();
  return app;
}
