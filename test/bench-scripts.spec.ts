import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Script } from 'node:vm';

/**
 * The bench's shell scripts carry their report code as `node -e '…'` inside single quotes, where an
 * apostrophe in a comment ends the quote: bash then runs a broken script, and the failure shows only at
 * the end of a 30-minute run (it happened twice). Every such block must be JavaScript that compiles.
 */
const BENCH = join(__dirname, '..', 'bench');

/** The text of every `node -e '…'` block of a shell script, with the line it starts on. */
function inlineNodeScripts(shell: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  const re = /node -e '([^']*)'/g;
  for (let m = re.exec(shell); m !== null; m = re.exec(shell)) {
    out.push({ line: shell.slice(0, m.index).split('\n').length, code: m[1] ?? '' });
  }
  return out;
}

describe('bench shell scripts', () => {
  const scripts = readdirSync(BENCH).filter((f) => f.endsWith('.sh'));

  it('finds the report of run.sh among the inline node scripts', () => {
    const blocks = inlineNodeScripts(readFileSync(join(BENCH, 'run.sh'), 'utf8'));
    assert.ok(blocks.length >= 3, `only ${blocks.length} inline node scripts found in run.sh`);
    assert.ok(blocks.some((b) => b.code.includes('ratio by CPU per request')));
  });

  for (const name of scripts) {
    it(`${name}: every inline node script compiles`, () => {
      for (const { line, code } of inlineNodeScripts(readFileSync(join(BENCH, name), 'utf8'))) {
        assert.doesNotThrow(() => new Script(code), `${name}:${line}: the node -e script does not compile`);
      }
    });
  }

  it('catches an apostrophe that cuts a script short', () => {
    const broken =
      "x=$(node -e '\n  const a = [1, 2].map((v) => {\n    // the gateway's ratio\n    return v;\n  });\n')";
    const [first] = inlineNodeScripts(broken);
    assert.ok(first);
    assert.throws(() => new Script(first.code));
  });
});
