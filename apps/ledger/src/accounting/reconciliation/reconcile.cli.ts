import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { openDatabase } from '@sluice/database';
import { LEDGER_SCHEMA } from '../../ledger.runtime';
import { runReconciliation } from './reconcile-command';

// node -r @swc-node/register apps/ledger/src/accounting/reconciliation/reconcile.cli.ts <provider> <format> <file>
// (format: csv | openai-usage | anthropic-usage). Reads DATABASE_URL; prints the report as JSON; exit 0
// when the export and the ledger agree, 1 when there are findings, 2 on error.

async function main(): Promise<number> {
  const [provider, format, file] = process.argv.slice(2);
  const url = process.env['DATABASE_URL'];
  if (!provider || !format || !file || !url) {
    process.stderr.write(
      'usage: DATABASE_URL=... reconcile.cli.ts <provider> <csv|openai-usage|anthropic-usage> <file>\n',
    );
    return 2;
  }
  const db = await openDatabase({ url, applicationName: 'sluice-ledger-reconcile', poolSize: 1 });
  try {
    const report = await runReconciliation(db, LEDGER_SCHEMA, provider, format, readFileSync(file, 'utf8'));
    process.stdout.write(
      `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
    );
    return report.findings.length === 0 ? 0 : 1;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`reconcile failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
