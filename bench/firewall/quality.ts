// Precision and recall of the firewall detectors on the labelled corpus.
//   node -r @swc-node/register bench/firewall/quality.ts [--markdown] [--errors]
// A finding is a true positive when a label of the same detector overlaps it; every other finding is a
// false positive (of its detector) and every unmatched label a false negative (of the label's detector).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Scanner, listDetectors } from '@sluice/firewall';

interface Label {
  detector: string;
  start: number;
  end: number;
}
interface Case {
  id: string;
  category: string;
  text: string;
  labels: Label[];
}

const markdown = process.argv.includes('--markdown');
const showErrors = process.argv.includes('--errors');
const file = join(__dirname, '../../libs/firewall/corpus/corpus.jsonl');
const cases = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Case);

const scanner = new Scanner({ fingerprintKey: 'quality', cache: false });
const stats = new Map<string, { tp: number; fp: number; fn: number }>();
const row = (id: string): { tp: number; fp: number; fn: number } => {
  let s = stats.get(id);
  if (!s) stats.set(id, (s = { tp: 0, fp: 0, fn: 0 }));
  return s;
};
for (const d of listDetectors()) row(d.id);
const errors: string[] = [];
const byCategory = new Map<string, { cases: number; tp: number; fp: number; fn: number }>();

for (const c of cases) {
  const cat = byCategory.get(c.category) ?? { cases: 0, tp: 0, fp: 0, fn: 0 };
  byCategory.set(c.category, cat);
  cat.cases++;
  const found = scanner.scan(c.text);
  const matched = new Set<number>();
  for (const f of found) {
    const li = c.labels.findIndex(
      (l, i) => !matched.has(i) && l.detector === f.detectorId && l.start < f.end && f.start < l.end,
    );
    if (li >= 0) {
      matched.add(li);
      row(f.detectorId).tp++;
      cat.tp++;
    } else {
      row(f.detectorId).fp++;
      cat.fp++;
      errors.push(
        `FP ${f.detectorId} in ${c.id}: ${JSON.stringify(c.text.slice(f.start, f.end)).slice(0, 100)}`,
      );
    }
  }
  c.labels.forEach((l, i) => {
    if (matched.has(i)) return;
    row(l.detector).fn++;
    cat.fn++;
    errors.push(`FN ${l.detector} in ${c.id}: ${JSON.stringify(c.text.slice(l.start, l.end)).slice(0, 100)}`);
  });
}

const ratio = (a: number, b: number): string => (b === 0 ? '-' : (a / b).toFixed(3));
const total = { tp: 0, fp: 0, fn: 0 };
const lines: string[] = [];
const kinds = new Map(listDetectors().map((d) => [d.id, d.kind]));
for (const [id, s] of [...stats].sort((a, b) => a[0].localeCompare(b[0]))) {
  total.tp += s.tp;
  total.fp += s.fp;
  total.fn += s.fn;
  const p = ratio(s.tp, s.tp + s.fp);
  const r = ratio(s.tp, s.tp + s.fn);
  lines.push(
    markdown
      ? `| ${id} | ${kinds.get(id) ?? '?'} | ${s.tp} | ${s.fp} | ${s.fn} | ${p} | ${r} |`
      : `${id.padEnd(36)} ${String(s.tp).padStart(5)} ${String(s.fp).padStart(5)} ${String(s.fn).padStart(5)}   P ${p}   R ${r}`,
  );
}
const labels = cases.reduce((n, c) => n + c.labels.length, 0);
console.log(`corpus: ${cases.length} cases, ${labels} labels (libs/firewall/corpus/corpus.jsonl)`);
console.log(
  markdown
    ? '| detector | kind | TP | FP | FN | precision | recall |\n|---|---|---|---|---|---|---|'
    : `${'detector'.padEnd(36)}    TP    FP    FN`,
);
for (const l of lines) console.log(l);
const precision = total.tp / (total.tp + total.fp);
const recall = total.tp / (total.tp + total.fn);
console.log(
  markdown
    ? `| **overall** | | ${total.tp} | ${total.fp} | ${total.fn} | **${precision.toFixed(4)}** | **${recall.toFixed(4)}** |`
    : `overall: TP ${total.tp} FP ${total.fp} FN ${total.fn}  precision ${precision.toFixed(4)}  recall ${recall.toFixed(4)}`,
);
console.log(markdown ? '\n| category | cases | TP | FP | FN |\n|---|---|---|---|---|' : '\nby category:');
for (const [name, c] of byCategory) {
  console.log(
    markdown
      ? `| ${name} | ${c.cases} | ${c.tp} | ${c.fp} | ${c.fn} |`
      : `${name.padEnd(18)} cases ${String(c.cases).padStart(5)}  TP ${c.tp}  FP ${c.fp}  FN ${c.fn}`,
  );
}
if (showErrors) for (const e of errors) console.log(e);
