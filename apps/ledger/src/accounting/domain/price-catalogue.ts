import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { PricePerMillionNanoUsd } from '@sluice/money';
import { AccountingError } from './accounting.errors';

export const PRICE_PUBLISHED_V1 = 'price.published.v1';

// JSON cannot carry a bigint; prices travel as decimal integer strings of nano-USD per million tokens.
const nanoPerMTok = z.string().regex(/^(0|[1-9]\d{0,18})$/, 'integer nano-USD per million tokens');

export const priceRatesSchema = z.object({
  inputNanoUsdPerMTok: nanoPerMTok,
  outputNanoUsdPerMTok: nanoPerMTok,
  cacheReadNanoUsdPerMTok: nanoPerMTok,
  cacheWriteNanoUsdPerMTok: nanoPerMTok,
});

/** `*` matches any run of characters; anything else matches itself. */
const modelPattern = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\s]+$/, 'no whitespace');

export const priceEntrySchema = z.object({
  provider: z.string().min(1).max(100),
  /** An exact model name (`gpt-5.4`) or a `*` pattern (`claude-sonnet-4-5*`). */
  model: modelPattern,
  /** null withdraws the pattern from `effectiveFrom` on (for example a negotiated rate that ended). */
  rates: priceRatesSchema.nullable(),
  /**
   * Long-context tier: a request whose prompt (uncached input + cache read + cache write) exceeds
   * `aboveInputTokens` is priced at these rates for all of its tokens, as Gemini and Anthropic bill it.
   */
  longContext: z
    .object({ aboveInputTokens: z.number().int().positive(), rates: priceRatesSchema })
    .nullable()
    .default(null),
  /** Where the price comes from (URL or contract reference) and the date it was read. */
  source: z.string().min(1).max(500),
  sourceDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

export const pricePublishedV1Schema = z.object({
  /** Globally increasing catalogue version; recorded with every cost computed from it. */
  version: z.number().int().positive(),
  /** Prices apply to usage that occurred at or after this instant. */
  effectiveFrom: z.string().datetime({ offset: true }),
  /** `list`: the providers' prices (what the platform pays). `team`: a negotiated rate for one team. */
  scope: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('list') }),
    z.object({ kind: z.literal('team'), teamId: z.string().min(1) }),
  ]),
  entries: z.array(priceEntrySchema).default([]),
  /**
   * Platform margin in basis points on list prices (scope list: every team's default; scope team: that
   * team's). Omitted leaves the margin in force unchanged. Ignored where a team has a negotiated rate.
   */
  marginBps: z.number().int().min(-10_000).max(1_000_000).optional(),
});

export type PricePublishedV1 = z.infer<typeof pricePublishedV1Schema>;
export type PriceEntryData = z.infer<typeof priceEntrySchema>;
export type PriceRatesData = z.infer<typeof priceRatesSchema>;

export type PriceRates = {
  inputNanoUsdPerMTok: PricePerMillionNanoUsd;
  outputNanoUsdPerMTok: PricePerMillionNanoUsd;
  cacheReadNanoUsdPerMTok: PricePerMillionNanoUsd;
  cacheWriteNanoUsdPerMTok: PricePerMillionNanoUsd;
};

export type LongContextTier = { aboveInputTokens: number; rates: PriceRates };

export const ratesFromData = (r: PriceRatesData): PriceRates => ({
  inputNanoUsdPerMTok: BigInt(r.inputNanoUsdPerMTok),
  outputNanoUsdPerMTok: BigInt(r.outputNanoUsdPerMTok),
  cacheReadNanoUsdPerMTok: BigInt(r.cacheReadNanoUsdPerMTok),
  cacheWriteNanoUsdPerMTok: BigInt(r.cacheWriteNanoUsdPerMTok),
});

type Publication = { data: PricePublishedV1; effectiveMs: number; hash: string };

/**
 * The catalogue as a value built only from `price.published.v1` data, so a replay sees exactly the prices
 * the live projection saw. Immutable: `applyPricePublished` returns a new state. It is a set of
 * publications keyed by version, so the order they are applied in does not change any answer.
 */
export type PriceCatalogueState = { readonly publications: ReadonlyMap<number, Publication> };

export const EMPTY_PRICE_CATALOGUE: PriceCatalogueState = { publications: new Map() };

function hashOf(data: PricePublishedV1): string {
  return createHash('sha256').update(JSON.stringify(data)).digest('hex');
}

/** Adds a publication. The same version with the same content is a no-op; with other content, an error. */
export function applyPricePublished(state: PriceCatalogueState, input: unknown): PriceCatalogueState {
  const parsed = pricePublishedV1Schema.safeParse(input);
  if (!parsed.success) {
    throw new AccountingError(
      'price_publication_invalid',
      `invalid ${PRICE_PUBLISHED_V1}: ${parsed.error.message}`,
    );
  }
  const data = parsed.data;
  const hash = hashOf(data);
  const existing = state.publications.get(data.version);
  if (existing) {
    if (existing.hash === hash) return state;
    throw new AccountingError(
      'price_publication_conflict',
      `catalogue version ${data.version} was published with other content`,
      {
        version: String(data.version),
      },
    );
  }
  const publications = new Map(state.publications);
  publications.set(data.version, { data, effectiveMs: Date.parse(data.effectiveFrom), hash });
  return { publications };
}

export function buildPriceCatalogue(publications: readonly unknown[]): PriceCatalogueState {
  return publications.reduce<PriceCatalogueState>(applyPricePublished, EMPTY_PRICE_CATALOGUE);
}

/** The highest version in the catalogue (0 when empty). */
export function latestCatalogueVersion(state: PriceCatalogueState): number {
  let v = 0;
  for (const k of state.publications.keys()) v = Math.max(v, k);
  return v;
}

// ---------------------------------------------------------------------------------------------- matching

const patternCache = new Map<string, RegExp>();
function patternRegExp(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`);
    patternCache.set(pattern, re);
  }
  return re;
}

export function modelMatches(pattern: string, model: string): boolean {
  return pattern.includes('*') ? patternRegExp(pattern).test(model) : pattern === model;
}

/**
 * Orders two patterns that both match a model, most specific first: an exact name beats any pattern; then
 * more literal characters; then fewer wildcards; then plain string order, so the choice never depends on
 * the order prices were published in.
 */
export function compareSpecificity(a: string, b: string): number {
  const exactA = !a.includes('*');
  const exactB = !b.includes('*');
  if (exactA !== exactB) return exactA ? -1 : 1;
  const literal = (p: string): number => p.replace(/\*/g, '').length;
  const stars = (p: string): number => p.length - literal(p);
  return literal(b) - literal(a) || stars(a) - stars(b) || (a < b ? -1 : a > b ? 1 : 0);
}

export type ResolvedEntry = {
  provider: string;
  pattern: string;
  rates: PriceRates;
  longContext: LongContextTier | null;
  version: number;
  effectiveFrom: string;
  source: string;
  sourceDate: string;
};

type ScopeFilter = { kind: 'list' } | { kind: 'team'; teamId: string };

function inScope(p: Publication, scope: ScopeFilter): boolean {
  return scope.kind === 'list'
    ? p.data.scope.kind === 'list'
    : p.data.scope.kind === 'team' && p.data.scope.teamId === scope.teamId;
}

/** Publications visible at `occurredAt` (and at or below `maxVersion`), newest first. */
function visible(
  state: PriceCatalogueState,
  occurredAt: string,
  maxVersion: number | undefined,
): Publication[] {
  const atMs = Date.parse(occurredAt);
  if (Number.isNaN(atMs)) throw new AccountingError('event_invalid', `not a timestamp: ${occurredAt}`);
  return [...state.publications.values()]
    .filter((p) => p.effectiveMs <= atMs && (maxVersion === undefined || p.data.version <= maxVersion))
    .sort((a, b) => b.effectiveMs - a.effectiveMs || b.data.version - a.data.version);
}

function resolveInScope(
  pubs: Publication[],
  scope: ScopeFilter,
  provider: string,
  model: string,
): ResolvedEntry | undefined {
  // For each matching pattern the newest publication decides (it may withdraw the pattern).
  const newestByPattern = new Map<string, ResolvedEntry | null>();
  for (const p of pubs) {
    if (!inScope(p, scope)) continue;
    for (const e of p.data.entries) {
      if (e.provider !== provider || !modelMatches(e.model, model) || newestByPattern.has(e.model)) continue;
      newestByPattern.set(
        e.model,
        e.rates === null
          ? null
          : {
              provider,
              pattern: e.model,
              rates: ratesFromData(e.rates),
              longContext: e.longContext
                ? {
                    aboveInputTokens: e.longContext.aboveInputTokens,
                    rates: ratesFromData(e.longContext.rates),
                  }
                : null,
              version: p.data.version,
              effectiveFrom: p.data.effectiveFrom,
              source: e.source,
              sourceDate: e.sourceDate,
            },
      );
    }
  }
  const live = [...newestByPattern.values()].filter((e): e is ResolvedEntry => e !== null);
  live.sort((a, b) => compareSpecificity(a.pattern, b.pattern));
  return live[0];
}

function marginInForce(pubs: Publication[], teamId: string | null): { bps: number; version: number | null } {
  // A team's own margin setting beats the default; within a scope the newest setting wins.
  for (const scope of teamId === null ? ['list'] : ['team', 'list']) {
    for (const p of pubs) {
      if (p.data.marginBps === undefined) continue;
      const match =
        scope === 'list'
          ? p.data.scope.kind === 'list'
          : p.data.scope.kind === 'team' && p.data.scope.teamId === teamId;
      if (match) return { bps: p.data.marginBps, version: p.data.version };
    }
  }
  return { bps: 0, version: null };
}

/** Margin on a unit price, rounded up to a whole nano-USD per million tokens: the team's price sheet. */
export function applyMarginBps(price: PricePerMillionNanoUsd, bps: number): PricePerMillionNanoUsd {
  const num = price * BigInt(10_000 + bps);
  return num % 10_000n === 0n ? num / 10_000n : num / 10_000n + 1n;
}

const mapRates = (r: PriceRates, f: (p: bigint) => bigint): PriceRates => ({
  inputNanoUsdPerMTok: f(r.inputNanoUsdPerMTok),
  outputNanoUsdPerMTok: f(r.outputNanoUsdPerMTok),
  cacheReadNanoUsdPerMTok: f(r.cacheReadNanoUsdPerMTok),
  cacheWriteNanoUsdPerMTok: f(r.cacheWriteNanoUsdPerMTok),
});

export type PriceQuery = {
  provider: string;
  model: string;
  /** null prices for no team (list price plus the default margin). */
  teamId: string | null;
  /** The usage event's `occurredAt`: the price in force then, never the wall clock. */
  occurredAt: string;
  /** Pin the catalogue to a version (as recorded on a transfer) to reproduce an old computation. */
  maxVersion?: number;
};

export type TeamPrice = {
  /** The provider's list price: what the platform owes the provider. */
  list: ResolvedEntry;
  /** What the team pays per million tokens. */
  team: {
    rates: PriceRates;
    longContext: LongContextTier | null;
    basis: 'negotiated' | 'list';
    marginBps: number;
    /** The negotiated entry's version, or the margin setting's (null when no margin was ever set). */
    version: number | null;
  };
};

/** Like `priceFor`, but undefined when the catalogue has no list price for the model. */
export function findPrice(state: PriceCatalogueState, q: PriceQuery): TeamPrice | undefined {
  const pubs = visible(state, q.occurredAt, q.maxVersion);
  const list = resolveInScope(pubs, { kind: 'list' }, q.provider, q.model);
  if (!list) return undefined;
  const negotiated =
    q.teamId === null
      ? undefined
      : resolveInScope(pubs, { kind: 'team', teamId: q.teamId }, q.provider, q.model);
  if (negotiated) {
    return {
      list,
      team: {
        rates: negotiated.rates,
        longContext: negotiated.longContext,
        basis: 'negotiated',
        marginBps: 0,
        version: negotiated.version,
      },
    };
  }
  const margin = marginInForce(pubs, q.teamId);
  const withMargin = (r: PriceRates): PriceRates => mapRates(r, (p) => applyMarginBps(p, margin.bps));
  return {
    list,
    team: {
      rates: withMargin(list.rates),
      longContext: list.longContext
        ? { aboveInputTokens: list.longContext.aboveInputTokens, rates: withMargin(list.longContext.rates) }
        : null,
      basis: 'list',
      marginBps: margin.bps,
      version: margin.version,
    },
  };
}

/**
 * The price a team pays for a model at an instant, and the provider's list price beside it. Pure over the
 * catalogue state. Precedence: a team's negotiated rate (any matching pattern) beats the list price; within
 * a scope the most specific pattern wins (`compareSpecificity`); for one pattern the newest publication in
 * force wins. Throws `price_not_found` when the model has no list price.
 */
export function priceFor(state: PriceCatalogueState, q: PriceQuery): TeamPrice {
  const found = findPrice(state, q);
  if (!found) {
    throw new AccountingError('price_not_found', `no price for ${q.provider}/${q.model} at ${q.occurredAt}`, {
      provider: q.provider,
      model: q.model,
    });
  }
  return found;
}
