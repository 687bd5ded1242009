import 'reflect-metadata';
import { join, resolve } from 'node:path';
import { openDatabase } from '@sluice/database';
import { formatNanoUsd } from '@sluice/money';
import { EventStore } from '@sluice/event-store';
import { LEDGER_SCHEMA } from '../ledger.runtime';
import { verifyEventChain } from './event-chain';
import { rebuildAndDiff, verifyBooks } from './ledger-verifier';

// `npm run ledger:verify [-- --rebuild]`: checks that debits equal credits and that every balance equals
// its journal, recomputes the event store's hash chain (naming the first broken block); with --rebuild, also replays the event store into fresh tables and diffs them against the
// live ones. Reads DATABASE_URL. Exit code 0 when everything holds, 1 when anything differs, 2 on error.

async function main(): Promise<number> {
  const url = process.env['DATABASE_URL'];
  if (!url) {
    process.stderr.write('DATABASE_URL is not set\n');
    return 2;
  }
  const rebuild = process.argv.includes('--rebuild');
  const migrationsDir = process.env['SLUICE_MIGRATIONS_DIR']
    ? resolve(process.env['SLUICE_MIGRATIONS_DIR'])
    : join(__dirname, '../../../../migrations');
  const db = await openDatabase({ url, applicationName: 'sluice-ledger-verify', poolSize: 2 });
  try {
    const books = await verifyBooks(db, LEDGER_SCHEMA);
    const out: Record<string, unknown> = {
      balanced: books.balanced,
      accounts: books.accounts,
      transfers: books.transfers,
      debitsPostedUsd: formatNanoUsd(books.debitsPosted),
      creditsPostedUsd: formatNanoUsd(books.creditsPosted),
      debitsPendingUsd: formatNanoUsd(books.debitsPending),
      creditsPendingUsd: formatNanoUsd(books.creditsPending),
      discrepancies: books.discrepancies,
    };
    const chain = await verifyEventChain(db, new EventStore(LEDGER_SCHEMA), LEDGER_SCHEMA);
    out['eventChain'] = chain;
    let ok = books.balanced && chain.firstBroken === null;
    if (rebuild) {
      const report = await rebuildAndDiff(db, LEDGER_SCHEMA, migrationsDir);
      out['rebuild'] = report;
      ok = ok && report.differences.length === 0;
    }
    out['ok'] = ok;
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return ok ? 0 : 1;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ledger verify failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
