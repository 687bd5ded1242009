import { datetimeRegex, type SafeParseReturnType } from 'zod';
import { usageRecordedV1Schema, type UsageRecordedV1 } from '@sluice/events';

// usage.recorded.v1 is validated at ingest and again by every projector that reads it back (the store's
// copy is JSON, so each needs the typed, defaulted value). zod 3 costs ~6 us per event here, most of it
// building a new RegExp for each `datetime()` check. This checks the same rules by hand for the common,
// valid case and builds exactly zod's output (schema key order, unknown keys stripped, `firewall`
// defaulted); anything it is not sure of (an invalid event, an odd object) goes to zod itself, which
// stays the authority and the source of the error message. A unit test compares the two on generated
// and mutated events.

type Rec = Record<string, unknown>;

const receivedAtCheck = usageRecordedV1Schema.shape.receivedAt._def.checks.find((c) => c.kind === 'datetime');
if (receivedAtCheck?.kind !== 'datetime')
  throw new Error('usageRecordedV1Schema.receivedAt is not a datetime');
// The regex zod builds for this very check on every call, built once.
const DATETIME = datetimeRegex(receivedAtCheck);
const SHA256_HEX = /^[0-9a-f]{64}$/;
const KINDS = new Set(['secret', 'pii']);
const LOCATIONS = new Set(['request', 'response']);
const ACTIONS = new Set(['monitor', 'block', 'redact']);

/** A plain object as zod sees one (not an array, Date, Map, Set or promise). */
function plain(v: unknown): v is Rec {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  return typeof (v as Rec)['then'] !== 'function';
}

const isNum = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);
const nonNegInt = (v: unknown): v is number => isNum(v) && Number.isInteger(v) && !(v < 0);
const nonNeg = (v: unknown): v is number => isNum(v) && !(v < 0);
const str = (v: unknown): v is string => typeof v === 'string';
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length >= 1;
const strOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

function usage(v: unknown): UsageRecordedV1['usage'] | undefined {
  if (!plain(v)) return undefined;
  const a = v['inputUncachedTokens'];
  const b = v['cacheReadTokens'];
  const c = v['cacheWriteTokens'];
  const d = v['outputTokens'];
  const e = v['reasoningTokens'];
  if (!nonNegInt(a) || !nonNegInt(b) || !nonNegInt(c) || !nonNegInt(d) || !nonNegInt(e)) return undefined;
  return {
    inputUncachedTokens: a,
    cacheReadTokens: b,
    cacheWriteTokens: c,
    outputTokens: d,
    reasoningTokens: e,
  };
}

function rawUsage(v: unknown): Rec | null | undefined {
  if (v === null) return null;
  if (!plain(v)) return undefined;
  const out: Rec = {};
  for (const k in v) {
    // zod drops this key from a record's output; leave such an object to zod.
    if (k === '__proto__') return undefined;
    out[k] = v[k];
  }
  return out;
}

function firewall(v: unknown): UsageRecordedV1['firewall'] | undefined {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return undefined;
  const out: UsageRecordedV1['firewall'] = [];
  for (const f of v as unknown[]) {
    if (!plain(f)) return undefined;
    const detector = f['detector'];
    const kind = f['kind'];
    const count = f['count'];
    const location = f['location'];
    const action = f['action'];
    if (!str(detector) || !isNum(count) || !Number.isInteger(count) || count <= 0) return undefined;
    if (!str(kind) || !KINDS.has(kind) || !str(location) || !LOCATIONS.has(location)) return undefined;
    if (!str(action) || !ACTIONS.has(action)) return undefined;
    out.push({
      detector,
      kind: kind as 'secret' | 'pii',
      count,
      location: location as 'request' | 'response',
      action: action as 'monitor' | 'block' | 'redact',
    });
  }
  return out;
}

const nullableNonNegInt = (v: unknown): v is number | null => v === null || nonNegInt(v);

/** The fast path: the parsed event, or undefined when zod must decide. */
export function fastParseUsageRecordedV1(v: unknown): UsageRecordedV1 | undefined {
  if (!plain(v)) return undefined;
  const requestId = v['requestId'];
  const teamId = v['teamId'];
  const keyId = v['keyId'];
  const endpoint = v['endpoint'];
  const modelRequested = v['modelRequested'];
  const modelServed = v['modelServed'];
  const provider = v['provider'];
  const providerRequestId = v['providerRequestId'];
  const stream = v['stream'];
  const status = v['status'];
  const errorCode = v['errorCode'];
  const receivedAt = v['receivedAt'];
  const latencyMs = v['latencyMs'];
  const ttfbMs = v['ttfbMs'];
  if (!nonEmpty(requestId) || !nonEmpty(teamId) || !strOrNull(keyId) || !nonEmpty(endpoint)) return undefined;
  if (!strOrNull(modelRequested) || !strOrNull(modelServed) || !strOrNull(provider)) return undefined;
  if (!strOrNull(providerRequestId) || typeof stream !== 'boolean' || !strOrNull(errorCode)) return undefined;
  if (!isNum(status) || !Number.isInteger(status) || status < 100 || status > 599) return undefined;
  if (!str(receivedAt) || !DATETIME.test(receivedAt)) return undefined;
  if (!nonNeg(latencyMs) || !(ttfbMs === null || nonNeg(ttfbMs))) return undefined;
  const u = usage(v['usage']);
  const raw = rawUsage(v['rawUsage']);
  const fw = firewall(v['firewall']);
  if (u === undefined || raw === undefined || fw === undefined) return undefined;

  const out: Rec = {
    requestId,
    teamId,
    keyId,
    endpoint,
    modelRequested,
    modelServed,
    provider,
    providerRequestId,
    stream,
    status,
    errorCode,
    usage: u,
    rawUsage: raw,
    receivedAt,
    latencyMs,
    ttfbMs,
    firewall: fw,
  };
  // Optional fields: zod sets a key that is present (even as undefined) and leaves out an absent one.
  if ('requestSha256' in v) {
    const x = v['requestSha256'];
    if (!(x === undefined || x === null || (str(x) && SHA256_HEX.test(x)))) return undefined;
    out['requestSha256'] = x;
  }
  if ('responseSha256' in v) {
    const x = v['responseSha256'];
    if (!(x === undefined || x === null || (str(x) && SHA256_HEX.test(x)))) return undefined;
    out['responseSha256'] = x;
  }
  if ('ttftMs' in v) {
    const x = v['ttftMs'];
    if (!(x === undefined || x === null || nonNeg(x))) return undefined;
    out['ttftMs'] = x;
  }
  if ('gatewayTokens' in v) {
    const g = v['gatewayTokens'];
    if (g === undefined) out['gatewayTokens'] = undefined;
    else {
      if (!plain(g)) return undefined;
      const input = g['input'];
      const output = g['output'];
      if (!nullableNonNegInt(input) || !nullableNonNegInt(output)) return undefined;
      out['gatewayTokens'] = { input, output };
    }
  }
  return out as UsageRecordedV1;
}

/** `usageRecordedV1Schema.safeParse`, with the same result, at a fraction of its cost for valid events. */
export function parseUsageRecordedV1(v: unknown): SafeParseReturnType<unknown, UsageRecordedV1> {
  const fast = fastParseUsageRecordedV1(v);
  return fast !== undefined ? { success: true, data: fast } : usageRecordedV1Schema.safeParse(v);
}
