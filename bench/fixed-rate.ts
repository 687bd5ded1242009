// Open-loop load at a fixed rate (what wrk cannot do): a request is started every 1/rate seconds
// whether or not the earlier ones have finished, and its latency counts from the moment it was
// due, so a stall shows in the percentiles instead of slowing the sender (no coordinated omission).
//
//   node -r @swc-node/register bench/fixed-rate.ts --url URL --body FILE [--header 'k: v']...
//     [--rate 200] [--seconds 20] [--warmup-seconds 3] [--trace FILE]
//   node -r @swc-node/register bench/fixed-rate.ts --body FILE --targets JSON [--slice-seconds 5] ...
//
// --targets '[{"name":"yardstick","url":…,"headers":{…}},{"name":"sluice",…}]' measures several
// proxies in one run, in interleaved slices of --slice-seconds: each target gets --warmup-seconds
// first (in turn), then the slices go A B B A A B … (the order reverses every round, so a drift of
// the host's speed falls on both alike) until each target has had --seconds. On a host whose speed
// swings within seconds, two proxies measured one after the other see different hosts; measured in
// alternating slices they see the same one. Each target's percentiles are over all its slices.
// --trace writes one line per measured request: target, ms since the start it was due at, its latency
// in ms (when the slow ones happen: periodic, clustered, or spread).
// Prints one line per target: BENCH_RESULT {"target","requests","rps","p50Ms","p95Ms","p99Ms","maxMs",
// "errors","slices","sliceP99Ms":[…]}.
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';

export interface Target {
  readonly name: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Which target a request due `atMs` after the start goes to, or null once every target is done. */
export interface Slot {
  readonly target: number;
  readonly measured: boolean;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * The schedule: n warm-ups of warmupMs (target 0, 1, …), then slices of sliceMs in rounds of n,
 * every odd round reversed (A B, B A, A B, …), until each target has had measuredMs. A single
 * target is simply warm-up then measured.
 */
export function slotAt(
  atMs: number,
  n: number,
  warmupMs: number,
  measuredMs: number,
  sliceMs: number,
): Slot | null {
  if (atMs < 0) return null;
  if (atMs < n * warmupMs) return { target: Math.floor(atMs / warmupMs), measured: false };
  if (n === 1) return atMs < warmupMs + measuredMs ? { target: 0, measured: true } : null;
  const t = atMs - n * warmupMs;
  const slices = Math.ceil(measuredMs / sliceMs);
  const slice = Math.floor(t / sliceMs);
  if (slice >= slices * n) return null;
  const round = Math.floor(slice / n);
  const inRound = slice % n;
  // The last slice of each target may be shorter, so every target gets exactly measuredMs.
  const within = t - slice * sliceMs;
  if (round === slices - 1 && within >= measuredMs - round * sliceMs) return { target: -1, measured: false };
  return { target: round % 2 === 0 ? inRound : n - 1 - inRound, measured: true };
}

export function totalMs(n: number, warmupMs: number, measuredMs: number, sliceMs: number): number {
  return n === 1 ? warmupMs + measuredMs : n * warmupMs + Math.ceil(measuredMs / sliceMs) * n * sliceMs;
}

function parseTargets(
  json: string | undefined,
  url: string | undefined,
  headerArgs: readonly string[],
): Target[] {
  if (json !== undefined) {
    const list = JSON.parse(json) as Target[];
    if (!Array.isArray(list) || list.length === 0)
      throw new Error('--targets must be a non-empty JSON array');
    return list.map((t) => ({ name: String(t.name), url: String(t.url), headers: { ...(t.headers ?? {}) } }));
  }
  if (url === undefined) throw new Error('--url or --targets is required');
  const headers: Record<string, string> = {};
  for (const h of headerArgs) {
    const at = h.indexOf(':');
    if (at > 0) headers[h.slice(0, at).trim().toLowerCase()] = h.slice(at + 1).trim();
  }
  return [{ name: 'default', url, headers }];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      targets: { type: 'string' },
      body: { type: 'string' },
      header: { type: 'string', multiple: true, default: [] },
      rate: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '20' },
      'warmup-seconds': { type: 'string', default: '3' },
      'slice-seconds': { type: 'string', default: '5' },
      trace: { type: 'string' },
    },
  });
  if (values.body === undefined) throw new Error('--body is required');
  const targets = parseTargets(values.targets, values.url, values.header);
  const body = readFileSync(values.body);
  const rate = Number(values.rate);
  const warmupMs = Number(values['warmup-seconds']) * 1000;
  const measuredMs = Number(values.seconds) * 1000;
  const sliceMs = Number(values['slice-seconds']) * 1000;
  const n = targets.length;
  const endMs = totalMs(n, warmupMs, measuredMs, sliceMs);
  const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  const stats = targets.map(() => ({
    latenciesMs: [] as number[],
    errors: 0,
    measured: 0,
    slices: new Map<number, number[]>(),
  }));
  const trace: string[] = [];
  const inflight = new Set<Promise<void>>();
  const sendHeaders = targets.map((t) => ({ 'content-type': 'application/json', ...t.headers }));

  const one = async (target: number, dueAt: number, record: boolean, slice: number): Promise<void> => {
    const s = stats[target]!;
    try {
      const res = await request(targets[target]!.url, {
        method: 'POST',
        headers: sendHeaders[target],
        body,
        dispatcher: agent,
      });
      await res.body.arrayBuffer();
      if (!record) return;
      s.measured += 1;
      if (res.statusCode !== 200) s.errors += 1;
      else {
        const ms = performance.now() - dueAt;
        s.latenciesMs.push(ms);
        let inSlice = s.slices.get(slice);
        if (inSlice === undefined) s.slices.set(slice, (inSlice = []));
        inSlice.push(ms);
        if (values.trace !== undefined)
          trace.push(`${targets[target]!.name}\t${(dueAt - start).toFixed(1)}\t${ms.toFixed(3)}`);
      }
    } catch {
      if (record) {
        s.measured += 1;
        s.errors += 1;
      }
    }
  };

  const start = performance.now();
  const intervalMs = 1000 / rate;
  for (let i = 0; ; i++) {
    const dueAt = start + i * intervalMs;
    const atMs = dueAt - start;
    if (atMs >= endMs) break;
    const slot = slotAt(atMs, n, warmupMs, measuredMs, sliceMs);
    if (slot === null) break;
    if (slot.target < 0) continue; // the short tail of a last slice: the other target's turn is over
    const waitMs = dueAt - performance.now();
    if (waitMs > 1) await new Promise((r) => setTimeout(r, waitMs - 1));
    while (performance.now() < dueAt) {
      // Spin the last millisecond: setTimeout alone is too coarse for a 5 ms period.
    }
    const slice = slot.measured ? Math.floor((atMs - (n > 1 ? n * warmupMs : warmupMs)) / sliceMs) : -1;
    const p = one(slot.target, dueAt, slot.measured, slice);
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }
  await Promise.all(inflight);
  await agent.close();
  if (values.trace !== undefined) writeFileSync(values.trace, `${trace.join('\n')}\n`);
  for (const [i, t] of targets.entries()) {
    const s = stats[i]!;
    s.latenciesMs.sort((a, b) => a - b);
    const sliceP99Ms = [...s.slices.keys()]
      .sort((a, b) => a - b)
      .map((k) =>
        percentile(
          [...s.slices.get(k)!].sort((a, b) => a - b),
          99,
        ),
      );
    const result = {
      target: t.name,
      requests: s.measured,
      rps: s.measured / (measuredMs / 1000),
      p50Ms: percentile(s.latenciesMs, 50),
      p95Ms: percentile(s.latenciesMs, 95),
      p99Ms: percentile(s.latenciesMs, 99),
      maxMs: s.latenciesMs.at(-1) ?? Number.NaN,
      errors: s.errors,
      slices: s.slices.size,
      sliceP99Ms,
    };
    process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
