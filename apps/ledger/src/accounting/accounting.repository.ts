import { quoteIdent, type SqlExecutor } from '@sluice/database';
import { modelMatches } from './domain/price-catalogue';
import { availableBalance, postedBalance, type AccountBalance } from './domain/ledger-state';
import { TRANSFER_COLUMNS, transferFromRow, type TransferRow } from './postgres-ledger';
import type { Transfer } from './domain/transfer';

export type AccountView = AccountBalance & {
  kind: string;
  normalSide: string;
  /** Posted, on the account's normal side. */
  balanceNanoUsd: bigint;
  /** Posted minus pending outflows: what the account can still spend. */
  availableNanoUsd: bigint;
};

export type TransferPage = {
  items: Array<Transfer & { seq: string }>;
  endCursor: string | null;
  hasNextPage: boolean;
};

export type PriceRow = {
  version: number;
  effectiveFrom: Date;
  scope: string;
  teamId: string | null;
  provider: string;
  model: string;
  withdrawn: boolean;
  inputNanoUsdPerMTok: string | null;
  outputNanoUsdPerMTok: string | null;
  cacheReadNanoUsdPerMTok: string | null;
  cacheWriteNanoUsdPerMTok: string | null;
  source: string;
};

export type BooksCheck = {
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
  accounts: number;
  transfers: number;
  /** Accounts whose balance columns disagree with their journal. */
  discrepancies: Array<{ accountId: string; columns: Record<string, string | null> }>;
  balanced: boolean;
};

/** Read side of the books (GraphQL, the verify command). */
export class AccountingRepository {
  private readonly s: string;

  constructor(
    private readonly db: SqlExecutor,
    schema: string,
  ) {
    this.s = quoteIdent(schema);
  }

  async balances(account: string | null): Promise<AccountView[]> {
    const rows = await this.db.query<{
      id: string;
      kind: string;
      normal_side: string;
      dp: string;
      cp: string;
      dq: string;
      cq: string;
    }>(
      `SELECT id, kind, normal_side, debits_posted::text AS dp, credits_posted::text AS cp,
              debits_pending::text AS dq, credits_pending::text AS cq
         FROM ${this.s}.accounts WHERE ($1::text IS NULL OR id = $1) ORDER BY id`,
      [account],
    );
    return rows.map((r) => {
      const b: AccountBalance = {
        id: r.id,
        debitsPosted: BigInt(r.dp),
        creditsPosted: BigInt(r.cp),
        debitsPending: BigInt(r.dq),
        creditsPending: BigInt(r.cq),
      };
      return {
        ...b,
        kind: r.kind,
        normalSide: r.normal_side,
        balanceNanoUsd: postedBalance(b),
        availableNanoUsd: availableBalance(b),
      };
    });
  }

  /** Journal order, oldest first; `after` is the `seq` cursor of the last item already seen. */
  async transfers(account: string | null, first: number, after: string | null): Promise<TransferPage> {
    const rows = await this.db.query<TransferRow>(
      `SELECT ${TRANSFER_COLUMNS} FROM ${this.s}.transfers t
        WHERE ($1::text IS NULL OR debit_account_id = $1 OR credit_account_id = $1)
          AND seq > $2::bigint
        -- Qualified: unqualified, ORDER BY would sort by the text alias ("100" < "99").
        ORDER BY t.seq LIMIT $3`,
      [account, after ?? '0', first + 1],
    );
    const page = rows.slice(0, first);
    return {
      items: page.map((r) => ({ ...transferFromRow(r), seq: r.seq })),
      endCursor: page.length > 0 ? page[page.length - 1]!.seq : after,
      hasNextPage: rows.length > first,
    };
  }

  /** Catalogue entries whose model (exact or pattern) matches `model`; all when null. */
  async prices(model: string | null): Promise<PriceRow[]> {
    const rows = await this.db.query<{
      version: number;
      effective_from: Date;
      scope_kind: string;
      team_id: string | null;
      provider: string;
      model: string;
      withdrawn: boolean;
      i: string | null;
      o: string | null;
      cr: string | null;
      cw: string | null;
      source: string;
    }>(
      `SELECT version, effective_from, scope_kind, team_id, provider, model, withdrawn,
              input_nano_usd_per_mtok::text AS i, output_nano_usd_per_mtok::text AS o,
              cache_read_nano_usd_per_mtok::text AS cr, cache_write_nano_usd_per_mtok::text AS cw, source
         FROM ${this.s}.price_catalogue ORDER BY provider, model, version`,
    );
    return rows
      .filter((r) => model === null || modelMatches(r.model, model))
      .map((r) => ({
        version: r.version,
        effectiveFrom: r.effective_from,
        scope: r.scope_kind,
        teamId: r.team_id,
        provider: r.provider,
        model: r.model,
        withdrawn: r.withdrawn,
        inputNanoUsdPerMTok: r.i,
        outputNanoUsdPerMTok: r.o,
        cacheReadNanoUsdPerMTok: r.cr,
        cacheWriteNanoUsdPerMTok: r.cw,
        source: r.source,
      }));
  }

  /** verify-balances: debits = credits (posted and pending) and every balance equals its journal. */
  async check(): Promise<BooksCheck> {
    const [t] = await this.db.query<{ dp: string; cp: string; dq: string; cq: string; accounts: string }>(
      `SELECT debits_posted::text AS dp, credits_posted::text AS cp, debits_pending::text AS dq,
              credits_pending::text AS cq, accounts::text AS accounts FROM ${this.s}.ledger_totals`,
    );
    const [n] = await this.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${this.s}.transfers`);
    const rows = await this.db.query<Record<string, string | null>>(
      `SELECT account_id, debits_posted::text, journal_debits_posted::text, credits_posted::text,
              journal_credits_posted::text, debits_pending::text, journal_debits_pending::text,
              credits_pending::text, journal_credits_pending::text
         FROM ${this.s}.balance_discrepancies ORDER BY account_id`,
    );
    const totals = {
      debitsPosted: BigInt(t?.dp ?? '0'),
      creditsPosted: BigInt(t?.cp ?? '0'),
      debitsPending: BigInt(t?.dq ?? '0'),
      creditsPending: BigInt(t?.cq ?? '0'),
    };
    const discrepancies = rows.map((r) => {
      const { account_id: accountId, ...columns } = r;
      return { accountId: accountId ?? '', columns };
    });
    return {
      ...totals,
      accounts: Number(t?.accounts ?? 0),
      transfers: Number(n?.n ?? 0),
      discrepancies,
      balanced:
        totals.debitsPosted === totals.creditsPosted &&
        totals.debitsPending === totals.creditsPending &&
        discrepancies.length === 0,
    };
  }
}
