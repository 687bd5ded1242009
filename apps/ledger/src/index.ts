export { createLedgerApp } from './ledger.app';
export { startLedgerServer, type LedgerServer } from './ledger.server';
export type { LedgerRuntime } from './ledger.runtime';
export { identityConsumerGroup } from './identity/identity.consumer';
