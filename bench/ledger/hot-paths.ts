// CPU per call of the ledger's per-event hot paths, old way against new (development aid, not the benchmark):
//   node -r @swc-node/register bench/ledger/hot-paths.ts
// CPU time (process.cpuUsage), so the figures hold on a loaded machine better than wall time would.
import { v5 as uuidv5 } from 'uuid';
import { usageRecordedV1Schema } from '@sluice/events';
import { SLUICE_LEDGER_NAMESPACE } from '../../apps/ledger/src/accounting/domain/accounts';
import {
  assertWellFormed,
  canonical,
  canonicalTransfer,
  deriveTransferId,
  makeTransfer,
} from '../../apps/ledger/src/accounting/domain/transfer';
import { parseUsageRecordedV1 } from '../../apps/ledger/src/ingest/usage-recorded.parser';
import { benchUsageEvent } from './ledger-bench';

function cpuUsPerCall(label: string, n: number, run: () => void): void {
  const out: string[] = [];
  for (let r = 0; r < 3; r++) {
    const t = process.cpuUsage();
    run();
    const u = process.cpuUsage(t);
    out.push(((u.user + u.system) / n).toFixed(2));
  }
  console.log(`${label.padEnd(44)} ${out.join(' / ')} us per call`);
}

const at = new Date('2026-11-27T12:00:00Z');
const data = Array.from(
  { length: 2_000 },
  (_, i) => JSON.parse(JSON.stringify(benchUsageEvent(i, 50, at).data)) as unknown,
);
const rounds = 20;
cpuUsPerCall('usage.recorded.v1, zod safeParse', data.length * rounds, () => {
  for (let k = 0; k < rounds; k++)
    for (const d of data) if (!usageRecordedV1Schema.safeParse(d).success) throw new Error('invalid');
});
cpuUsPerCall('usage.recorded.v1, parseUsageRecordedV1', data.length * rounds, () => {
  for (let k = 0; k < rounds; k++)
    for (const d of data) if (!parseUsageRecordedV1(d).success) throw new Error('invalid');
});
const names = data.map((_, i) => `0192f1e4-7c1a-7b3e-9d2a-5f6e7d8c${String(i).padStart(4, '0')}`);
cpuUsPerCall('transfer id, uuid v5', names.length * rounds, () => {
  for (let k = 0; k < rounds; k++)
    for (const n of names) uuidv5(`${n}/provider_cost`, SLUICE_LEDGER_NAMESPACE);
});
cpuUsPerCall('transfer id, deriveTransferId (node:crypto)', names.length * rounds, () => {
  for (let k = 0; k < rounds; k++) for (const n of names) deriveTransferId(n, 'provider_cost');
});
const transfers = names.map((n) =>
  makeTransfer({
    eventId: n,
    leg: 'provider_cost',
    debitAccountId: 'team:team-7',
    creditAccountId: 'provider:openai',
    amountNanoUsd: 123_456_789n,
    code: 'usage.provider_cost',
    bookedAt: '2026-11-27T12:00:00.000Z',
    ref: {
      requestId: `req-${n}`,
      provider: 'openai',
      model: 'gpt-4.1-mini',
      listPriceVersion: '3',
      teamPriceVersion: '',
      priceBasis: 'list_plus_margin',
      tier: 'standard',
      teamExactFemtoUsd: '123456789000000',
      providerExactFemtoUsd: '111111111000000',
    },
  }),
);
cpuUsPerCall('transfer body text, generic canonical', transfers.length * rounds, () => {
  for (let k = 0; k < rounds; k++) for (const t of transfers) canonical(t);
});
cpuUsPerCall('transfer body text, canonicalTransfer', transfers.length * rounds, () => {
  for (let k = 0; k < rounds; k++) for (const t of transfers) canonicalTransfer(t);
});
cpuUsPerCall('assertWellFormed, a copy (id derived again)', transfers.length * rounds, () => {
  for (let k = 0; k < rounds; k++) for (const t of transfers) assertWellFormed({ ...t });
});
cpuUsPerCall('assertWellFormed, as made (id remembered)', transfers.length * rounds, () => {
  for (let k = 0; k < rounds; k++) for (const t of transfers) assertWellFormed(t);
});
