import { BadRequestException, Controller, Get, Query, StreamableFile, UseGuards } from '@nestjs/common';
import { Readable } from 'node:stream';
import type { Principal } from '@sluice/identity';
import { LedgerAuthGuard } from '../auth/ledger-auth.guard';
import { LedgerPrincipal } from '../auth/ledger-principal.decorator';
import { scopeTeam } from '../auth/team-scope';
import type { UsageDimension } from './read-models.repository';
import { ReadModelsService, statementCsvLines } from './read-models.service';
import type { TimeBucket } from './time-buckets';

const DIMENSIONS: readonly UsageDimension[] = ['team', 'key', 'model', 'provider'];
const BUCKETS: readonly TimeBucket[] = ['hour', 'day', 'month'];

function date(name: string, v: string | undefined): Date {
  const d = v === undefined ? new Date(NaN) : new Date(v);
  if (Number.isNaN(d.getTime())) throw new BadRequestException(`${name} must be an ISO timestamp`);
  return d;
}

/** `groupBy=team,model` into dimensions; anything unknown is refused. */
export function parseGroupBy(v: string | undefined): UsageDimension[] {
  if (v === undefined || v.trim() === '') return [];
  return v.split(',').map((x) => {
    const d = x.trim() as UsageDimension;
    if (!DIMENSIONS.includes(d)) throw new BadRequestException(`groupBy: unknown dimension '${x.trim()}'`);
    return d;
  });
}

export function parseBucket(v: string | undefined): TimeBucket {
  const b = (v ?? 'day') as TimeBucket;
  if (!BUCKETS.includes(b)) throw new BadRequestException('bucket must be hour, day or month');
  return b;
}

function csv(chunks: AsyncIterable<string> | Iterable<string>, filename: string): StreamableFile {
  return new StreamableFile(Readable.from(chunks), {
    type: 'text/csv; charset=utf-8',
    disposition: `attachment; filename="${filename}"`,
  });
}

/**
 * CSV exports of the usage report and of a statement, with the GraphQL API's keys and scopes. Rows are
 * streamed as they are read (a slice of the range at a time), CRLF lines, RFC 4180 quoting.
 */
@Controller('exports')
@UseGuards(LedgerAuthGuard)
export class ExportsController {
  constructor(private readonly readModels: ReadModelsService) {}

  @Get('usage.csv')
  usage(
    @LedgerPrincipal() principal: Principal,
    @Query('from') from: string | undefined,
    @Query('to') to: string | undefined,
    @Query('bucket') bucket: string | undefined,
    @Query('groupBy') groupBy: string | undefined,
    @Query('team') team: string | undefined,
  ): StreamableFile {
    const chunks = this.readModels.usageCsv({
      from: date('from', from),
      to: date('to', to),
      bucket: parseBucket(bucket),
      groupBy: parseGroupBy(groupBy),
      teamId: scopeTeam(principal, team),
    });
    return csv(chunks, 'usage.csv');
  }

  @Get('statement.csv')
  async statement(
    @LedgerPrincipal() principal: Principal,
    @Query('team') team: string | undefined,
    @Query('from') from: string | undefined,
    @Query('to') to: string | undefined,
  ): Promise<StreamableFile> {
    if (!team) throw new BadRequestException('team is required');
    const teamId = scopeTeam(principal, team) ?? team;
    const s = await this.readModels.statement(teamId, date('from', from), date('to', to));
    return csv(statementCsvLines(s), `statement-${teamId.replace(/[^A-Za-z0-9._-]/g, '_')}.csv`);
  }
}
