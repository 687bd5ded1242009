// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by area (a package in
// node_modules, a folder of this repository, node's internals, GC), as a share of the busy time.
//
//   node -r @swc-node/register bench/profile-summary.ts FILE.cpuprofile [--top 30]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

/** Where a function lives, coarse enough to read: `fastify`, `apps/gateway/src/proxy`, `node:internal`. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url;
  const m = /\/(apps|libs)\/([^/]+)\/src\/(?:([^/]+)\/)?/.exec(url);
  if (m) return m[3] !== undefined && !m[3].endsWith('.js') ? `${m[1]}/${m[2]}/${m[3]}` : `${m[1]}/${m[2]}`;
  return url;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const m = /\/((?:apps|libs)\/.*)$/.exec(url);
  return m ? m[1]! : url.replace(/^file:\/\//, '');
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '30' } },
  });
  const file = positionals[0];
  if (file === undefined) throw new Error('usage: profile-summary.ts FILE.cpuprofile');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    totalUs += us;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const key = `${frame.functionName || '(anonymous)'}  ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const a = areaOf(frame);
    area.set(a, (area.get(a) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const pct = (us: number): string => `${((100 * us) / busyUs).toFixed(1)}%`;
  const top = Number(values.top);
  const out: string[] = [];
  out.push(
    `profile ${file}: ${(totalUs / 1e6).toFixed(1)} s sampled, ${(busyUs / 1e6).toFixed(1)} s busy (${((100 * busyUs) / totalUs).toFixed(0)}%)`,
  );
  out.push('', `self time by area (share of busy time):`);
  for (const [k, us] of [...area].sort((a, b) => b[1] - a[1]).slice(0, top))
    out.push(`  ${pct(us).padStart(6)}  ${k}`);
  out.push('', `self time by function (top ${top}):`);
  for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top))
    out.push(`  ${pct(us).padStart(6)}  ${k}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
