import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { formatNanoUsd } from '@sluice/money';
import { LEDGER_RUNTIME, LEDGER_SCHEMA, type LedgerRuntime } from '../ledger.runtime';
import { csvLine } from './csv';
import { qualityReport, type QualityReportRow } from './quality-report';
import {
  ReadModelsRepository,
  type AuditCursor,
  type AuditFilter,
  type FullAuditRecord,
  type UsageDimension,
  type UsageReportRow,
} from './read-models.repository';
import { assembleStatement, type Statement } from './statement';
import { bucketSlices, MAX_RANGE_MS, rangeProblem, type TimeBucket } from './time-buckets';

export const MAX_AUDIT_PAGE = 500;
/** Statements may cover longer periods than reports (a year's statement, a few years of history). */
const MAX_STATEMENT_MS = 5 * MAX_RANGE_MS;
/** An export reads about a week of hours at a time. */
const EXPORT_SLICE_HOURS = 24 * 7;

export type UsageParams = {
  from: Date;
  to: Date;
  bucket: TimeBucket;
  groupBy: readonly UsageDimension[];
  teamId: string | null;
};

export function encodeAuditCursor(c: AuditCursor): string {
  return Buffer.from(JSON.stringify([c.receivedAt, c.requestId])).toString('base64url');
}

export function decodeAuditCursor(s: string): AuditCursor {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') {
      if (!Number.isNaN(Date.parse(v[0]))) return { receivedAt: v[0], requestId: v[1] };
    }
  } catch {
    // falls through to the refusal
  }
  throw new BadRequestException('after must be a cursor returned as endCursor');
}

export const USAGE_CSV_HEADER = [
  'bucket_start',
  'team',
  'key',
  'model',
  'provider',
  'requests',
  'errors',
  'input_uncached_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'output_tokens',
  'reasoning_tokens',
  'cost_nano_usd',
  'cost_usd',
  'provider_cost_nano_usd',
  'unpriced_requests',
] as const;

export function usageCsvLine(r: UsageReportRow): string {
  return csvLine([
    r.bucketStart.toISOString(),
    r.teamId,
    r.keyId,
    r.model,
    r.provider,
    r.requests,
    r.errors,
    r.inputUncachedTokens,
    r.cacheReadTokens,
    r.cacheWriteTokens,
    r.outputTokens,
    r.reasoningTokens,
    r.costNanoUsd,
    formatNanoUsd(r.costNanoUsd),
    r.providerCostNanoUsd,
    r.unpricedRequests,
  ]);
}

/** A statement as CSV lines: `section,model,requests,amount_nano_usd,amount_usd`, amounts signed as they move the balance. */
export function statementCsvLines(s: Statement): string[] {
  const line = (section: string, model: string | null, requests: number | null, amount: bigint): string =>
    csvLine([section, model, requests, amount, formatNanoUsd(amount)]);
  return [
    csvLine(['section', 'model', 'requests', 'amount_nano_usd', 'amount_usd']),
    line('opening_balance', null, null, s.openingNanoUsd),
    line('top_ups', null, null, s.topUpsNanoUsd),
    ...s.usage.map((u) => line('usage', u.model, u.requests, -u.amountNanoUsd)),
    line('corrections', null, null, s.correctionsNanoUsd),
    line('expiries', null, null, -s.expiriesNanoUsd),
    line('overdraft', null, null, s.overdraftNanoUsd),
    line('marketplace', null, null, s.marketplaceNanoUsd),
    line('other', null, null, s.otherNanoUsd),
    line('closing_balance', null, null, s.closingNanoUsd),
  ];
}

/** Reports over the read models; the transports (GraphQL, CSV) only map arguments and results. */
@Injectable()
export class ReadModelsService {
  readonly repo: ReadModelsRepository;

  constructor(@Inject(LEDGER_RUNTIME) rt: LedgerRuntime) {
    this.repo = new ReadModelsRepository(rt.db, LEDGER_SCHEMA);
  }

  async usage(p: UsageParams): Promise<UsageReportRow[]> {
    checkRange(p.from, p.to);
    return this.repo.usage(p);
  }

  /**
   * The usage report as CSV, one slice of the range at a time (never the whole report in memory). The range
   * is checked here, before the first byte, so a bad request is a 400 rather than a broken download.
   */
  usageCsv(p: UsageParams): AsyncGenerator<string> {
    checkRange(p.from, p.to);
    return this.usageCsvChunks(p);
  }

  private async *usageCsvChunks(p: UsageParams): AsyncGenerator<string> {
    yield csvLine([...USAGE_CSV_HEADER]);
    for (const slice of bucketSlices(p.from, p.to, p.bucket, EXPORT_SLICE_HOURS)) {
      const rows = await this.repo.usage({ ...p, from: slice.from, to: slice.to });
      if (rows.length > 0) yield rows.map(usageCsvLine).join('');
    }
  }

  async audit(
    requestId: string,
  ): Promise<{ record: FullAuditRecord; transferIds: string[]; correctedBy: string[] } | null> {
    return this.repo.auditWithLinks(requestId);
  }

  async auditPage(
    filter: AuditFilter,
    first: number,
    after: string | null,
  ): Promise<{ items: FullAuditRecord[]; hasNextPage: boolean; endCursor: string | null }> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_AUDIT_PAGE)
      throw new BadRequestException(`first must be 1-${MAX_AUDIT_PAGE}`);
    if (filter.from && filter.to && !(filter.to.getTime() > filter.from.getTime()))
      throw new BadRequestException('`to` must be after `from`');
    const page = await this.repo.auditPage(filter, first, after ? decodeAuditCursor(after) : null);
    return { ...page, endCursor: page.endCursor ? encodeAuditCursor(page.endCursor) : null };
  }

  async quality(
    from: Date,
    to: Date,
    bucket: TimeBucket,
    provider: string | null,
    model: string | null,
  ): Promise<QualityReportRow[]> {
    checkRange(from, to);
    return qualityReport(await this.repo.qualityHours(from, to, provider, model), bucket);
  }

  async statement(teamId: string, from: Date, to: Date): Promise<Statement> {
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || !(to.getTime() > from.getTime()))
      throw new BadRequestException('`to` must be after `from`');
    if (to.getTime() - from.getTime() > MAX_STATEMENT_MS)
      throw new BadRequestException('a statement may span at most five years');
    const { openingNanoUsd, movements } = await this.repo.statementData(teamId, from, to);
    return assembleStatement(teamId, from, to, openingNanoUsd, movements);
  }
}

function checkRange(from: Date, to: Date): void {
  const problem = rangeProblem(from, to);
  if (problem) throw new BadRequestException(problem);
}
