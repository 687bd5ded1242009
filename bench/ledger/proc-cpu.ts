import { readFileSync } from 'node:fs';
import type { Client } from 'pg';

// CPU time actually spent by a process (user + system), from /proc: unlike wall-clock time it does not grow
// when other work on the machine takes the cores, so it compares runs made under different loads.

const TICK_MS = 10; // USER_HZ is 100 on Linux

export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime (fields 14 and 15)
  } catch {
    return 0;
  }
}

/** CPU time of every Postgres backend connected to the client's database, keyed by pid. */
export async function backendCpuMs(c: Client): Promise<Map<number, number>> {
  const rows = await c.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  return new Map(rows.rows.map((r) => [r.pid, processCpuMs(r.pid)]));
}

/** CPU spent between two snapshots (backends that appeared in between count from zero). */
export function cpuDeltaMs(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}
