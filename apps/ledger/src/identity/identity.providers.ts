import type { Provider } from '@nestjs/common';
import { API_KEY_AUTHENTICATOR, ApiKeyAuthenticator } from '@sluice/identity';
import { LEDGER_RUNTIME, type LedgerRuntime } from '../ledger.runtime';
import { IdentityConsumer } from './identity.consumer';
import { IdentityIngestService } from './identity-ingest.service';
import { LedgerKeysRepository } from './ledger-keys.repository';

/**
 * How long an instance may keep answering from its key cache: a revocation applied by another ledger
 * instance counts here within this time (at once on the instance that applied it). Ledger queries
 * are rare next to data-plane requests, so a short cache costs little.
 */
export const LEDGER_KEY_CACHE_TTL_MS = 5_000;

/** Team keys on the ledger: the authenticator over `ledger.api_keys` and the identity consumer. */
export const LEDGER_IDENTITY_PROVIDERS: Provider[] = [
  {
    provide: API_KEY_AUTHENTICATOR,
    inject: [LEDGER_RUNTIME],
    useFactory: (rt: LedgerRuntime) =>
      new ApiKeyAuthenticator(new LedgerKeysRepository(rt.db), rt.masterKey, LEDGER_KEY_CACHE_TTL_MS),
  },
  IdentityIngestService,
  IdentityConsumer,
];
