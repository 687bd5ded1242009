// Open-loop load at a fixed rate (what wrk cannot do): a request is started every 1/rate seconds
// whether or not the earlier ones have finished, and its latency counts from the moment it was
// due, so a stall shows in the percentiles instead of slowing the sender (no coordinated omission).
//
//   node -r @swc-node/register bench/fixed-rate.ts --url URL --body FILE [--header 'k: v']...
//     [--rate 200] [--seconds 20] [--warmup-seconds 3] [--trace FILE]
// --trace writes one line per measured request: ms since the start it was due at, its latency in ms
// (when the slow ones happen: periodic, clustered, or spread).
// Prints one line: BENCH_RESULT {"requests","rps","p50Ms","p95Ms","p99Ms","maxMs","errors"}.
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      body: { type: 'string' },
      header: { type: 'string', multiple: true, default: [] },
      rate: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '20' },
      'warmup-seconds': { type: 'string', default: '3' },
      trace: { type: 'string' },
    },
  });
  if (values.url === undefined || values.body === undefined) throw new Error('--url and --body are required');
  const url = values.url;
  const body = readFileSync(values.body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const h of values.header) {
    const at = h.indexOf(':');
    if (at > 0) headers[h.slice(0, at).trim().toLowerCase()] = h.slice(at + 1).trim();
  }
  const rate = Number(values.rate);
  const warmupMs = Number(values['warmup-seconds']) * 1000;
  const totalMs = warmupMs + Number(values.seconds) * 1000;
  const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  const latenciesMs: number[] = [];
  const trace: string[] = [];
  let errors = 0;
  let measured = 0;
  const inflight = new Set<Promise<void>>();

  const one = async (dueAt: number, record: boolean): Promise<void> => {
    try {
      const res = await request(url, { method: 'POST', headers, body, dispatcher: agent });
      await res.body.arrayBuffer();
      if (!record) return;
      measured += 1;
      if (res.statusCode !== 200) errors += 1;
      else {
        const ms = performance.now() - dueAt;
        latenciesMs.push(ms);
        if (values.trace !== undefined) trace.push(`${(dueAt - start).toFixed(1)}\t${ms.toFixed(3)}`);
      }
    } catch {
      if (record) {
        measured += 1;
        errors += 1;
      }
    }
  };

  const start = performance.now();
  const intervalMs = 1000 / rate;
  for (let i = 0; ; i++) {
    const dueAt = start + i * intervalMs;
    if (dueAt - start >= totalMs) break;
    const waitMs = dueAt - performance.now();
    if (waitMs > 1) await new Promise((r) => setTimeout(r, waitMs - 1));
    while (performance.now() < dueAt) {
      // Spin the last millisecond: setTimeout alone is too coarse for a 5 ms period.
    }
    const p = one(dueAt, dueAt - start >= warmupMs);
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }
  await Promise.all(inflight);
  await agent.close();
  if (values.trace !== undefined) writeFileSync(values.trace, `${trace.join('\n')}\n`);
  latenciesMs.sort((a, b) => a - b);
  const seconds = (totalMs - warmupMs) / 1000;
  const result = {
    requests: measured,
    rps: measured / seconds,
    p50Ms: percentile(latenciesMs, 50),
    p95Ms: percentile(latenciesMs, 95),
    p99Ms: percentile(latenciesMs, 99),
    maxMs: latenciesMs.at(-1) ?? Number.NaN,
    errors,
  };
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
