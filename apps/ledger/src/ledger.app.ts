import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LedgerModule } from './ledger.module';
import type { LedgerRuntime } from './ledger.runtime';

export async function createLedgerApp(rt: LedgerRuntime): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    LedgerModule.forRoot(rt),
    new FastifyAdapter({ logger: false }),
    {
      logger: ['error', 'warn'],
    },
  );
  await app.init();
  return app;
}
