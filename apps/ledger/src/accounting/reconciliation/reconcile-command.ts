import type { SqlExecutor } from '@sluice/database';
import { EXPORT_FORMATS, ExportParseError, parseExport, type ExportFormat } from './provider-exports';
import { loadEvidence, type EvidenceRequest } from './evidence';
import { loadLedgerRequests, reconcile, type Finding } from './reconciliation';

export type ReconciliationReport = {
  provider: string;
  days: string[];
  exportRows: number;
  ledgerRequests: number;
  findings: Array<Finding & { evidenceRequests: EvidenceRequest[] }>;
};

const isFormat = (f: string): f is ExportFormat => (EXPORT_FORMATS as readonly string[]).includes(f);

/** Parses the export, loads the ledger's requests on that provider for the days it covers, and matches them. */
export async function runReconciliation(
  db: SqlExecutor,
  schema: string,
  provider: string,
  format: string,
  content: string,
): Promise<ReconciliationReport> {
  if (!isFormat(format)) throw new ExportParseError(`format must be one of ${EXPORT_FORMATS.join(', ')}`);
  if (!/^[A-Za-z0-9._@-]{1,120}$/.test(provider))
    throw new ExportParseError(`provider "${provider}" is not a provider name`);
  const parsed = parseExport(format, content);
  const days = [...parsed.days].sort();
  const ledger = await loadLedgerRequests(db, schema, provider, days);
  return {
    provider,
    days,
    exportRows: parsed.rows.length,
    ledgerRequests: ledger.length,
    findings: await withEvidence(db, schema, reconcile(parsed.rows, ledger, days)),
  };
}

/** Each finding with the audit records of the requests behind it (ids, tokens on both counts, body hashes). */
async function withEvidence(
  db: SqlExecutor,
  schema: string,
  findings: Finding[],
): Promise<Array<Finding & { evidenceRequests: EvidenceRequest[] }>> {
  const records = await loadEvidence(
    db,
    schema,
    findings.flatMap((f) => f.evidence),
  );
  return findings.map((f) => ({
    ...f,
    evidenceRequests: f.evidence.flatMap((id) => {
      const r = records.get(id);
      return r ? [r] : [];
    }),
  }));
}
