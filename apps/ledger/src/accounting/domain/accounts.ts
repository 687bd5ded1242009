import { AccountingError } from './accounting.errors';
import { uuidV5In } from './uuid-v5';

/**
 * The chart of accounts (docs/ledger-design.md, "Account chart"). Accounts are addressed by a readable,
 * colon-segmented key (Formance style, `team:acme`) that also yields a stable UUID for Postgres.
 *
 * - `team:<id>`                 prepaid credit of a team (also the marketplace buyer); credit-normal, hard floor 0
 * - `receivable:<teamId>`       what a team owes after usage overran its credit; debit-normal, cannot be overpaid
 * - `provider:<name>`           what the platform owes an upstream provider; credit-normal
 * - `seller:<id>`               marketplace seller earnings awaiting payout; credit-normal
 * - `marketplace:escrow`        buyer funds held for marketplace requests in flight; credit-normal, hard floor 0
 * - `platform:revenue`          margin and marketplace fees (debited for subsidised negotiated rates); credit-normal
 * - `platform:rounding`         every sub-nano fraction the books could not carry; credit-normal
 * - `platform:expired-credit`   breakage: prepaid credit that expired unused; credit-normal
 * - `cash:<source>`             the outside world money came from (a PSP, an invoice, a manual grant); debit-normal
 */
export type AccountKind =
  | 'team'
  | 'receivable'
  | 'provider'
  | 'seller'
  | 'marketplace-escrow'
  | 'platform-revenue'
  | 'platform-rounding'
  | 'expired-credit'
  | 'cash';

export type AccountId = string;
export type NormalSide = 'debit' | 'credit';

/** TigerBeetle's balance-limit flags; a transfer that would break one is refused, never clamped. */
export type AccountFlags = {
  /** debits (posted + pending) must not exceed posted credits: the balance cannot go below zero. */
  debitsMustNotExceedCredits: boolean;
  /** credits (posted + pending) must not exceed posted debits. */
  creditsMustNotExceedDebits: boolean;
};

export type AccountSpec = {
  id: AccountId;
  kind: AccountKind;
  normalSide: NormalSide;
  flags: AccountFlags;
  /** The ledger (asset) the account lives in; only accounts on the same ledger transact. */
  ledger: LedgerCode;
};

/** One asset today: US dollars at scale 9. Token capacity ledgers (marketplace) would be further codes. */
export type LedgerCode = 'usd-nano';
export const USD_NANO_LEDGER: LedgerCode = 'usd-nano';

const SEGMENT = /^[A-Za-z0-9._@-]{1,120}$/;

function segment(kind: string, value: string): string {
  if (!SEGMENT.test(value)) {
    throw new AccountingError('transfer_invalid', `${kind} id "${value}" must be 1-120 of [A-Za-z0-9._@-]`);
  }
  return value;
}

export const accountIds = {
  team: (teamId: string): AccountId => `team:${segment('team', teamId)}`,
  provider: (provider: string): AccountId => `provider:${segment('provider', provider)}`,
  seller: (sellerId: string): AccountId => `seller:${segment('seller', sellerId)}`,
  receivable: (teamId: string): AccountId => `receivable:${segment('team', teamId)}`,
  cash: (source: string): AccountId => `cash:${segment('cash source', source)}`,
  marketplaceEscrow: 'marketplace:escrow' as AccountId,
  platformRevenue: 'platform:revenue' as AccountId,
  platformRounding: 'platform:rounding' as AccountId,
  expiredCredit: 'platform:expired-credit' as AccountId,
} as const;

const NO_LIMITS: AccountFlags = { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false };
const NO_NEGATIVE: AccountFlags = { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false };
const NO_OVERPAYMENT: AccountFlags = { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: true };

/** Resolves an account key to its full spec; an unknown shape is an error, not a silently new account. */
export function accountSpec(id: AccountId): AccountSpec {
  const spec = (kind: AccountKind, normalSide: NormalSide, flags: AccountFlags): AccountSpec => ({
    id,
    kind,
    normalSide,
    flags,
    ledger: USD_NANO_LEDGER,
  });
  switch (id) {
    case accountIds.marketplaceEscrow:
      return spec('marketplace-escrow', 'credit', NO_NEGATIVE);
    case accountIds.platformRevenue:
      return spec('platform-revenue', 'credit', NO_LIMITS);
    case accountIds.platformRounding:
      return spec('platform-rounding', 'credit', NO_LIMITS);
    case accountIds.expiredCredit:
      return spec('expired-credit', 'credit', NO_LIMITS);
  }
  const colon = id.indexOf(':');
  const prefix = colon > 0 ? id.slice(0, colon) : '';
  const rest = colon > 0 ? id.slice(colon + 1) : '';
  if (SEGMENT.test(rest)) {
    switch (prefix) {
      case 'team':
        return spec('team', 'credit', NO_NEGATIVE);
      case 'provider':
        return spec('provider', 'credit', NO_LIMITS);
      case 'seller':
        return spec('seller', 'credit', NO_LIMITS);
      case 'cash':
        return spec('cash', 'debit', NO_LIMITS);
      case 'receivable':
        return spec('receivable', 'debit', NO_OVERPAYMENT);
    }
  }
  throw new AccountingError('account_not_found', `not an account in the chart: "${id}"`, { accountId: id });
}

/**
 * Namespace for every UUIDv5 the accounting domain derives (transfer ids, account UUIDs). Fixed forever:
 * changing it would change every id and break idempotency across a deploy.
 */
export const SLUICE_LEDGER_NAMESPACE = '6f1f6a52-5c3e-4f7e-9a57-3d0c1b8e2a41';
const ledgerUuidV5 = uuidV5In(SLUICE_LEDGER_NAMESPACE);

/** A stable UUID for an account key, for a `uuid` primary key in Postgres (`uuid_generate_v5` gives the same). */
export function accountUuid(id: AccountId): string {
  return ledgerUuidV5(`account:${id}`);
}
