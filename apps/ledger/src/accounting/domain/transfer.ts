import { hash } from 'node:crypto';
import { AccountingError } from './accounting.errors';
import { SLUICE_LEDGER_NAMESPACE, type AccountId, type LedgerCode } from './accounts';
import { uuidV5In } from './uuid-v5';

const ledgerUuidV5 = uuidV5In(SLUICE_LEDGER_NAMESPACE);

/**
 * TigerBeetle's transfer shapes: `single` posts at once; `pending` reserves (pending columns) until a
 * `post` (full or partial, the rest is released), a `void`, or an `expire` after `timeoutAt` resolves it.
 */
export type TransferKind = 'single' | 'pending' | 'post' | 'void' | 'expire';

/** Why money moved (TigerBeetle's `code`). */
export type TransferCode =
  | 'usage.provider_cost'
  | 'usage.margin'
  | 'usage.rounding'
  | 'usage.subsidy'
  | 'top_up'
  | 'overdraft.draw'
  | 'overdraft.repay'
  | 'credit_expiry'
  | 'correction.reversal'
  | 'marketplace.hold'
  | 'marketplace.seller_earning'
  | 'marketplace.fee';

export type Transfer = {
  /** Deterministic: `deriveTransferId(eventId, leg)`; the idempotency key. */
  id: string;
  kind: TransferKind;
  debitAccountId: AccountId;
  creditAccountId: AccountId;
  /** > 0. For `post` the amount posted (<= the pending amount); for `void`/`expire` the pending amount. */
  amountNanoUsd: bigint;
  ledger: LedgerCode;
  code: TransferCode;
  /** The pending transfer a `post`/`void`/`expire` resolves; null otherwise. */
  pendingId: string | null;
  /** When a `pending` transfer may be expired (ISO-8601 instant); null for every other kind. */
  timeoutAt: string | null;
  /** A correction's reversal names the transfer it reverses (TigerBeetle's correcting-transfers recipe). */
  correctsTransferId: string | null;
  /** The event that caused this transfer; with `leg` it determines the id. */
  eventId: string;
  /** Which leg of the event's posting this is (`provider_cost`, `hold`, `reversal:<id>` ...). */
  leg: string;
  /** Effective (accounting) time: the event's `occurredAt`, never the wall clock. */
  bookedAt: string;
  /** Business references (request id, price version, contract ...), TigerBeetle's user_data. */
  ref: Readonly<Record<string, string>>;
};

/**
 * UUIDv5 of `<eventId>/<leg>` in the ledger namespace. v5 rather than a SHA-256 UUIDv8 because Postgres can
 * derive the same id (`uuid_generate_v5`), so SQL checks and backfills agree with this code byte for byte;
 * SHA-1's collision weakness does not matter for ids whose inputs are our own event ids.
 */
export function deriveTransferId(eventId: string, leg: string): string {
  if (eventId.length === 0 || leg.length === 0)
    throw new AccountingError('transfer_invalid', 'eventId and leg are required');
  return ledgerUuidV5(`${eventId}/${leg}`);
}

/**
 * The (eventId, leg, id) each transfer built by `makeTransfer` was given, so that `assertWellFormed` does not
 * derive the same id a second time (a SHA-1 per transfer). A transfer whose fields were changed since, or
 * that was built elsewhere, does not match and is derived again.
 */
const derived = new WeakMap<Transfer, { eventId: string; leg: string; id: string }>();

function idIsDerived(t: Transfer): boolean {
  const d = derived.get(t);
  if (d !== undefined && d.id === t.id && d.eventId === t.eventId && d.leg === t.leg) return true;
  return t.id === deriveTransferId(t.eventId, t.leg);
}

/**
 * Canonical JSON: object keys sorted (UTF-16 order), undefined members left out, bigints as strings. Written
 * as loops over `Object.keys().sort()` rather than entries, a comparator, map and join: the same text (a unit
 * test compares it with that form) at about half the cost, and it runs for every transfer.
 */
export function canonical(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // As `map` + `join` did: a hole, or a value JSON has no text for, adds nothing.
      const item = i in value ? (canonical(value[i]) as string | undefined) : undefined;
      if (item !== undefined) out += item;
    }
    return out + ']';
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(k)}:${canonical(v)}`;
  }
  return out + '}';
}

/** A transfer's members in `canonical`'s order (sorted keys), each with its JSON key text. */
const TRANSFER_KEYS = [
  'amountNanoUsd',
  'bookedAt',
  'code',
  'correctsTransferId',
  'creditAccountId',
  'debitAccountId',
  'eventId',
  'id',
  'kind',
  'ledger',
  'leg',
  'pendingId',
  'ref',
  'timeoutAt',
] as const satisfies ReadonlyArray<keyof Transfer>;
const TRANSFER_KEY_TEXT = TRANSFER_KEYS.map((k) => `${JSON.stringify(k)}:`);

/**
 * `canonical(t)` for a transfer of exactly the `Transfer` shape, without sorting its fourteen keys and
 * quoting each name again for every transfer (two per usage event). Anything else (another key, a missing
 * or undefined member, a value of another type) takes the generic path, so the text is always `canonical`'s
 * (a property test compares the two).
 */
export function canonicalTransfer(t: Transfer): string {
  if (Object.keys(t).length !== TRANSFER_KEYS.length) return canonical(t);
  let out = '{';
  for (let i = 0; i < TRANSFER_KEYS.length; i++) {
    const k = TRANSFER_KEYS[i]!;
    if (!Object.prototype.propertyIsEnumerable.call(t, k)) return canonical(t);
    const v: unknown = t[k];
    let text: string;
    if (typeof v === 'string') text = JSON.stringify(v);
    else if (v === null) text = 'null';
    else if (typeof v === 'bigint') text = `"${v.toString()}"`;
    else if (k === 'ref' && typeof v === 'object' && !Array.isArray(v)) text = canonical(v);
    else return canonical(t);
    out += (i > 0 ? ',' : '') + TRANSFER_KEY_TEXT[i]! + text;
  }
  return out + '}';
}

/**
 * SHA-256 (hex) of the transfer's canonical JSON, id included. Formance's idempotency rule: the same id with
 * the same body is a replay, the same id with another body is an error. Store it beside the row in Postgres.
 */
export function transferBodyHash(t: Transfer): string {
  // One-shot `hash` (Node >= 20.12): the same digest as createHash().update().digest(), without the object.
  return hash('sha256', canonicalTransfer(t), 'hex');
}

/** Shape checks that need no ledger state. */
export function assertWellFormed(t: Transfer): void {
  const fail = (
    code: 'transfer_invalid' | 'amount_must_be_positive' | 'accounts_must_be_different',
    msg: string,
  ): never => {
    throw new AccountingError(code, `transfer ${t.id}: ${msg}`, { transferId: t.id });
  };
  if (t.amountNanoUsd <= 0n) fail('amount_must_be_positive', 'amount must be > 0');
  if (t.debitAccountId === t.creditAccountId)
    fail('accounts_must_be_different', 'debit and credit accounts are the same');
  if (!idIsDerived(t)) fail('transfer_invalid', 'id is not derived from eventId and leg');
  if (Number.isNaN(Date.parse(t.bookedAt))) fail('transfer_invalid', 'bookedAt is not a timestamp');
  const resolves = t.kind === 'post' || t.kind === 'void' || t.kind === 'expire';
  if (resolves !== (t.pendingId !== null))
    fail('transfer_invalid', 'pendingId is required exactly for post/void/expire');
  if ((t.kind === 'pending') !== (t.timeoutAt !== null))
    fail('transfer_invalid', 'timeoutAt is required exactly for pending');
  if (t.timeoutAt !== null && Number.isNaN(Date.parse(t.timeoutAt)))
    fail('transfer_invalid', 'timeoutAt is not a timestamp');
  if (t.correctsTransferId !== null && t.kind !== 'single')
    fail('transfer_invalid', 'only single transfers correct others');
}

/** Fills in the defaults every recipe shares. */
export function makeTransfer(fields: {
  eventId: string;
  leg: string;
  kind?: TransferKind;
  debitAccountId: AccountId;
  creditAccountId: AccountId;
  amountNanoUsd: bigint;
  code: TransferCode;
  bookedAt: string;
  ledger?: LedgerCode;
  pendingId?: string | null;
  timeoutAt?: string | null;
  correctsTransferId?: string | null;
  ref?: Readonly<Record<string, string>>;
}): Transfer {
  const id = deriveTransferId(fields.eventId, fields.leg);
  const t: Transfer = {
    id,
    kind: fields.kind ?? 'single',
    debitAccountId: fields.debitAccountId,
    creditAccountId: fields.creditAccountId,
    amountNanoUsd: fields.amountNanoUsd,
    ledger: fields.ledger ?? 'usd-nano',
    code: fields.code,
    pendingId: fields.pendingId ?? null,
    timeoutAt: fields.timeoutAt ?? null,
    correctsTransferId: fields.correctsTransferId ?? null,
    eventId: fields.eventId,
    leg: fields.leg,
    bookedAt: fields.bookedAt,
    ref: fields.ref ?? {},
  };
  derived.set(t, { eventId: fields.eventId, leg: fields.leg, id });
  return t;
}
