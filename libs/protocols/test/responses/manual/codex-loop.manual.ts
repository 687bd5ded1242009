// Manual check with the real Codex CLI (not run by `npm test`: the project does not depend on @openai/codex yet).
// A tiny Responses server answers Codex with scripted IR events through this codec, as the gateway would for a
// Claude upstream, and the script checks what Codex did with them:
//   1. gpt-5.5 catalog: thinking + text + two parallel exec_command calls (toolu_ ids), then apply_patch arriving
//      as a one-string function call (a lowered custom tool), then a final message → files on disk;
//   2. an unknown model: Codex offers a `multi_agent_v1` namespace; a call to the flat name must reach that tool;
//   3. an upstream failure on the last turn must reach Codex with its message.
// Usage: npm install --prefix /tmp/codex @openai/codex && \
//   CODEX_BIN=/tmp/codex/node_modules/.bin/codex SWC_NODE_PROJECT=tsconfig.json \
//   node -r @swc-node/register libs/protocols/test/responses/manual/codex-loop.manual.ts
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IrStreamEvent } from '../../../src/ir/stream';
import type { IrUsage } from '../../../src/ir/response';
import { serializeSse } from '../../../src/sse/sse-serializer';
import { ResponsesStreamWriter, decodeResponsesRequest, responsesSseEvents } from '../../../src/responses';

type Scenario = 'loop' | 'namespace' | 'fail';

const PATCH = '*** Begin Patch\n*** Add File: patched.txt\n+patched via sluice\n*** End Patch\n';
const USAGE: IrUsage = {
  inputUncachedTokens: 100,
  cacheReadTokens: 50,
  cacheWriteTokens: 0,
  outputTokens: 20,
  reasoningTokens: 5,
};

const script = (scenario: Scenario, turn: number): IrStreamEvent[] => {
  const ev: IrStreamEvent[] = [{ type: 'message_start', id: 'msg_up', model: 'claude-sonnet-5' }];
  let i = 0;
  const text = (t: string): void => {
    ev.push({ type: 'block_start', index: i, block: { type: 'text' } });
    ev.push(
      { type: 'block_delta', index: i, delta: { type: 'text', text: t } },
      { type: 'block_stop', index: i++ },
    );
  };
  const call = (id: string, name: string, ...json: string[]): void => {
    ev.push({ type: 'block_start', index: i, block: { type: 'tool_call', id, name } });
    for (const j of json) ev.push({ type: 'block_delta', index: i, delta: { type: 'arguments', json: j } });
    ev.push({ type: 'block_stop', index: i++ });
  };
  const end = (kind: 'tool_use' | 'end_turn'): IrStreamEvent[] => [
    ...ev,
    { type: 'message_delta', stopReason: { kind }, usage: USAGE },
    { type: 'message_stop' },
  ];
  if (scenario === 'namespace') {
    if (turn > 0) return (text('ok'), end('end_turn'));
    call('toolu_NS', 'multi_agent_v1__wait_agent', '{"targets":["nobody"],"timeout_ms":10}');
    return end('tool_use');
  }
  if (turn === 0) {
    ev.push({
      type: 'block_start',
      index: i,
      block: { type: 'thinking', origin: { provider: 'anthropic' } },
    });
    ev.push({ type: 'block_delta', index: i, delta: { type: 'thinking', text: 'Create two files.' } });
    ev.push(
      { type: 'block_delta', index: i, delta: { type: 'signature', signature: 'EqSIG' } },
      { type: 'block_stop', index: i++ },
    );
    text('Creating the files.');
    call('toolu_01A', 'exec_command', '{"cmd":"printf hi > hello.txt', '","yield_time_ms":2000}');
    call('toolu_01B', 'exec_command', '{"cmd":"printf two > two.txt","yield_time_ms":2000}');
    return end('tool_use');
  }
  if (turn === 1) {
    const json = JSON.stringify({ input: PATCH });
    call('toolu_02', 'apply_patch', json.slice(0, 17), json.slice(17, 40), json.slice(40));
    return end('tool_use');
  }
  if (scenario === 'fail')
    return [
      ...ev,
      { type: 'error', error: { status: 529, kind: 'overloaded', message: 'Overloaded (scripted)' } },
    ];
  text('All done.');
  return end('end_turn');
};

const run = async (
  scenario: Scenario,
  model: string,
): Promise<{ status: number | null; out: string; work: string; bodies: Record<string, unknown>[] }> => {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      bodies.push(body);
      const { ir, toolNames } = decodeResponsesRequest(body);
      const calls = (body.input as { type?: string }[]).filter(
        (x) => x.type === 'function_call' || x.type === 'custom_tool_call',
      ).length;
      const turn = calls === 0 ? 0 : calls <= 2 ? 1 : 2;
      // apply_patch is a custom tool: the writer maps a function call of that name back to custom_tool_call.
      const writer = new ResponsesStreamWriter({
        request: ir,
        toolNames,
        requestBody: body,
        upstream: { provider: 'anthropic' },
      });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const e of script(scenario, turn)) res.write(serializeSse(responsesSseEvents(writer.push(e))));
      res.end(serializeSse(responsesSseEvents(writer.end())));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const home = mkdtempSync(join(tmpdir(), 'codex-home-'));
  const work = mkdtempSync(join(tmpdir(), 'codex-work-'));
  writeFileSync(
    join(home, 'config.toml'),
    [
      `model = "${model}"`,
      'model_provider = "sluice"',
      'approval_policy = "never"',
      'sandbox_mode = "workspace-write"',
      'check_for_update_on_startup = false',
      '[analytics]',
      'enabled = false',
      '[features]',
      'plugins = false',
      '[model_providers.sluice]',
      'name = "sluice"',
      `base_url = "http://127.0.0.1:${port}/v1"`,
      'env_key = "SLUICE_API_KEY"',
      'wire_api = "responses"',
      'request_max_retries = 0',
      'stream_max_retries = 0',
    ].join('\n'),
  );
  const bin = process.env.CODEX_BIN ?? 'codex';
  // Not spawnSync: the server above must keep answering while Codex runs.
  const result = await new Promise<{ status: number | null; out: string }>((resolve) => {
    const child = spawn(
      bin,
      [
        'exec',
        '--skip-git-repo-check',
        '--json',
        '-m',
        model,
        '-C',
        work,
        '--sandbox',
        'workspace-write',
        'do it',
      ],
      {
        env: { ...process.env, HOME: home, CODEX_HOME: home, SLUICE_API_KEY: 'k' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
  server.close();
  return { ...result, work, bodies };
};

const main = async (): Promise<void> => {
  assert.equal(
    spawnSync(process.env.CODEX_BIN ?? 'codex', ['--version']).status,
    0,
    'codex binary (set CODEX_BIN)',
  );

  const loop = await run('loop', 'gpt-5.5');
  assert.equal(loop.status, 0, loop.out);
  assert.equal(readFileSync(join(loop.work, 'hello.txt'), 'utf8'), 'hi');
  assert.equal(readFileSync(join(loop.work, 'two.txt'), 'utf8'), 'two');
  assert.equal(readFileSync(join(loop.work, 'patched.txt'), 'utf8'), 'patched via sluice\n');
  const last = loop.bodies.at(-1)!.input as Record<string, unknown>[];
  const reasoning = last.find((x) => x.type === 'reasoning')!;
  assert.match(String(reasoning.encrypted_content), /^sluice1\./, 'Codex replays the sealed signature');
  assert.deepEqual(
    last
      .filter((x) => x.type === 'function_call_output' || x.type === 'custom_tool_call_output')
      .map((x) => x.call_id),
    ['toolu_01A', 'toolu_01B', 'toolu_02'],
  );
  console.log('loop: ok (3 requests, 3 files, reasoning replayed, upstream call ids kept)');

  const ns = await run('namespace', 'claude-sonnet-5');
  assert.equal(ns.status, 0, ns.out);
  const nsInput = ns.bodies.at(-1)!.input as Record<string, unknown>[];
  const nsCall = nsInput.find((x) => x.type === 'function_call')!;
  assert.equal(nsCall.name, 'wait_agent');
  assert.equal(nsCall.namespace, 'multi_agent_v1');
  const nsOut = String(nsInput.find((x) => x.type === 'function_call_output')!.output);
  assert.doesNotMatch(nsOut, /unsupported call/i, 'the namespaced tool was found');
  console.log(`namespace: ok (tool answered: ${nsOut.slice(0, 60)})`);

  const fail = await run('fail', 'gpt-5.5');
  assert.equal(fail.status, 1);
  assert.match(fail.out, /Overloaded \(scripted\)/);
  console.log('failure: ok (Codex reports the upstream message)');
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
