import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type MockTurn, type RecordedRequest, toolResults } from '@sluice/testing';
import { type AgentRun, codexLauncher, runAgent } from './helpers/agent-process';
import { type AgentHarness, startAgentHarness } from './helpers/agent-harness';
import { codexEnv, writeCodexConfig, writeFreeformPatchCatalog } from './helpers/codex-config';

const MODEL = 'claude-sonnet-4-5';
const AGENT_TIMEOUT_MS = 150_000;

/** One line of `codex exec --json`. */
interface CodexEvent {
  type: string;
  item?: {
    type: string;
    text?: string;
    command?: string;
    exit_code?: number | null;
    aggregated_output?: string;
    status?: string;
    changes?: { path: string; kind: string }[];
  };
}

interface AnthropicBlock {
  type: string;
  id?: string;
  name?: string;
  input?: Record<string, unknown>;
  tool_use_id?: string;
}

interface AnthropicTool {
  name: string;
  input_schema?: { type?: string; properties?: Record<string, { type?: string }>; required?: string[] };
}

/** A file's text, or '(missing)', so that a failed check still prints the agent's output. */
const fileText = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '(missing)');

const events = (run: AgentRun): CodexEvent[] =>
  run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as CodexEvent);

const completedItems = (run: AgentRun): NonNullable<CodexEvent['item']>[] =>
  events(run)
    .filter((e) => e.type === 'item.completed' && e.item !== undefined)
    .map((e) => e.item!);

const anthropicBlocks = (req: RecordedRequest, role: 'user' | 'assistant'): AnthropicBlock[] =>
  ((req.body as { messages?: { role: string; content: unknown }[] }).messages ?? [])
    .filter((m) => m.role === role && Array.isArray(m.content))
    .flatMap((m) => m.content as AnthropicBlock[]);

const anthropicTools = (req: RecordedRequest): AnthropicTool[] =>
  (req.body as { tools?: AnthropicTool[] }).tools ?? [];

/**
 * Issue 4: the real Codex CLI from npm through the gateway. Codex speaks the Responses API (always
 * streamed, stateless: `store: false`, the whole conversation in `input`). On a Claude model the route
 * sends `claude*` to the Anthropic provider, here the scripted mock, so the gateway translates
 * Responses -> Anthropic Messages and the Messages stream back into Responses events; on a GPT model
 * it passes the Responses body and events through.
 */
describe('Codex CLI through the gateway', { timeout: 420_000 }, () => {
  let h: AgentHarness;

  before(async () => {
    h = await startAgentHarness();
  });

  beforeEach(() => {
    h.mock.reset();
    h.proxy.reset();
  });

  after(async () => {
    await h?.close();
  });

  async function runCodex(
    codexHome: string,
    workdir: string,
    prompt: string,
    model = MODEL,
  ): Promise<AgentRun & { lastMessage: string }> {
    const lastMessage = join(codexHome, 'last-message.txt');
    const run = await runAgent({
      command: process.execPath,
      args: [
        codexLauncher(),
        'exec',
        '--skip-git-repo-check',
        '--json',
        '-m',
        model,
        '-C',
        workdir,
        '-o',
        lastMessage,
        '--sandbox',
        'workspace-write',
        prompt,
      ],
      cwd: workdir,
      env: codexEnv(codexHome, h.apiKey),
      timeoutMs: AGENT_TIMEOUT_MS,
    });
    // -o: the file Codex writes the final agent message to.
    return { ...run, lastMessage: existsSync(lastMessage) ? readFileSync(lastMessage, 'utf8') : '' };
  }

  function context(run: AgentRun): string {
    return [
      `exit ${run.exitCode} after ${run.durationMs} ms${run.timedOut ? ' (timed out)' : ''}`,
      `stdout: ${run.stdout.slice(-3000)}`,
      `stderr: ${run.stderr.slice(-2000)}`,
      `gateway refusals: ${h.proxy.failures().join('\n')}`,
      `tool results upstream: ${JSON.stringify(h.mock.requests.map((r) => toolResults(r)).at(-1) ?? [])}`,
    ].join('\n');
  }

  /** What every loop checks: each Responses call accepted as sent, Codex finished without an error. */
  function assertAgentSucceeded(run: AgentRun, steps: number): void {
    const ctx = context(run);
    const calls = h.proxy.exchanges.filter((e) => e.method === 'POST' && e.url.startsWith('/v1/responses'));
    assert.equal(calls.length, steps, ctx);
    assert.deepEqual(
      calls.filter((e) => e.status !== 200).map((e) => `${e.url} -> ${e.status} ${e.errorBody}`),
      [],
      ctx,
    );
    assert.equal(run.timedOut, false, ctx);
    assert.equal(run.exitCode, 0, ctx);
    const all = events(run);
    assert.equal(all.at(-1)?.type, 'turn.completed', ctx);
    assert.ok(!all.some((e) => e.type === 'turn.failed' || e.type === 'error'), ctx);
    for (const item of completedItems(run)) {
      if (item.type === 'command_execution' || item.type === 'file_change') {
        assert.equal(item.status, 'completed', `${JSON.stringify(item)}\n${ctx}`);
      }
    }
  }

  /** The Claude loops: the upstream got one Anthropic Messages stream per step. */
  function assertAnthropicLoop(run: AgentRun, steps: number): RecordedRequest[] {
    assertAgentSucceeded(run, steps);
    const ctx = context(run);
    const upstream = h.mock.requests.filter((r) => r.endpoint === 'generate');
    assert.equal(upstream.length, steps, ctx);
    for (const r of upstream) {
      assert.equal(r.path, '/v1/messages');
      assert.equal(r.protocol, 'anthropic');
      assert.equal(r.model, MODEL);
      assert.equal(r.stream, true);
      // Anthropic tool names allow [a-zA-Z0-9_-] only: Codex's namespaces and built-in tools such
      // as web_search must have been flattened or dropped.
      for (const t of anthropicTools(r))
        assert.match(t.name, /^[a-zA-Z0-9_-]{1,128}$/, `tool name ${t.name}`);
    }
    assert.deepEqual(
      upstream.map((r) => toolResults(r).length),
      Array.from({ length: steps }, (_, i) => i),
      'one request per step, each with one more tool result',
    );
    // Every tool result answers a tool_use the assistant made earlier in the same conversation.
    const last = upstream.at(-1)!;
    assert.deepEqual(
      anthropicBlocks(last, 'user')
        .filter((b) => b.type === 'tool_result')
        .map((b) => b.tool_use_id),
      anthropicBlocks(last, 'assistant')
        .filter((b) => b.type === 'tool_use')
        .map((b) => b.id),
    );
    return upstream;
  }

  it(
    'shell commands and an apply_patch edit on a Claude model Codex does not know',
    { timeout: 180_000 },
    async () => {
      // Unknown model names get Codex's fallback metadata: no apply_patch tool, so the "model" patches
      // through the shell tool, which Codex intercepts and applies as a patch (a file_change item).
      const codexHome = h.scratchDir('codex-home');
      const workdir = h.scratchDir('codex-work');
      writeCodexConfig(codexHome, { baseUrl: h.baseUrl, model: MODEL });

      const patch = '*** Begin Patch\n*** Update File: list.txt\n@@\n one\n-two\n+TWO\n*** End Patch\n';
      h.mock.respondWith((req): MockTurn => {
        switch (toolResults(req).length) {
          case 0:
            return {
              text: 'Creating the list.',
              toolCalls: [
                {
                  name: 'exec_command',
                  arguments: { cmd: "printf 'one\\ntwo\\n' > list.txt && wc -l list.txt" },
                },
              ],
            };
          case 1:
            return {
              toolCalls: [{ name: 'exec_command', arguments: { cmd: `apply_patch <<'EOF'\n${patch}EOF\n` } }],
            };
          default:
            return { text: 'Done: list.txt now reads one, TWO.' };
        }
      });

      const run = await runCodex(
        codexHome,
        workdir,
        'Create list.txt with one and two, then capitalise two.',
      );
      const upstream = assertAnthropicLoop(run, 3);

      assert.equal(fileText(join(workdir, 'list.txt')), 'one\nTWO\n', context(run));

      const items = completedItems(run);
      const command = items.find((i) => i.type === 'command_execution');
      assert.equal(command?.exit_code, 0, context(run));
      assert.match(command?.aggregated_output ?? '', /2 list\.txt/);
      const change = items.find((i) => i.type === 'file_change');
      assert.deepEqual(change?.changes, [{ path: join(workdir, 'list.txt'), kind: 'update' }], context(run));
      assert.equal(change?.status, 'completed');
      assert.equal(
        items.filter((i) => i.type === 'agent_message').at(-1)?.text,
        'Done: list.txt now reads one, TWO.',
      );
      assert.equal(run.lastMessage.trim(), 'Done: list.txt now reads one, TWO.', 'the -o file');

      const results = toolResults(upstream.at(-1)!);
      assert.match(results[0]!.content, /2 list\.txt/, 'the shell output reached the upstream');
      assert.match(
        results[1]!.content,
        /Success\. Updated the following files:\s*M list\.txt/,
        'the patch result',
      );
      const calls = anthropicBlocks(upstream.at(-1)!, 'assistant').filter((b) => b.type === 'tool_use');
      assert.deepEqual(
        calls.map((c) => c.name),
        ['exec_command', 'exec_command'],
      );
      assert.ok(
        anthropicTools(upstream[0]!).some((t) => t.name === 'exec_command'),
        'exec_command offered upstream',
      );
    },
  );

  it(
    'the freeform apply_patch tool, then a shell command, on a Claude model declared in a model catalog',
    { timeout: 180_000 },
    async () => {
      // With a catalog entry Codex offers apply_patch as a freeform (custom) tool, which Anthropic lacks:
      // the gateway offers it as a tool with one string input and turns the call back into a
      // custom_tool_call item for Codex.
      const codexHome = h.scratchDir('codex-home');
      const workdir = h.scratchDir('codex-work');
      const catalog = await writeFreeformPatchCatalog(codexHome, MODEL);
      writeCodexConfig(codexHome, { baseUrl: h.baseUrl, model: MODEL, modelCatalogPath: catalog });

      const patch = '*** Begin Patch\n*** Add File: hello.txt\n+hello\n+world\n*** End Patch\n';
      h.mock.respondWith((req): MockTurn => {
        switch (toolResults(req).length) {
          case 0:
            return {
              text: 'Adding the file.',
              toolCalls: [{ type: 'custom', name: 'apply_patch', input: patch }],
            };
          case 1:
            return {
              toolCalls: [
                {
                  name: 'exec_command',
                  arguments: { cmd: 'sed -i s/world/there/ hello.txt && cat hello.txt' },
                },
              ],
            };
          default:
            return { text: 'Done: hello.txt says hello there.' };
        }
      });

      const run = await runCodex(
        codexHome,
        workdir,
        'Create hello.txt saying hello world, then change world to there.',
      );
      const upstream = assertAnthropicLoop(run, 3);

      assert.equal(fileText(join(workdir, 'hello.txt')), 'hello\nthere\n', context(run));

      const items = completedItems(run);
      const change = items.find((i) => i.type === 'file_change');
      assert.deepEqual(change?.changes, [{ path: join(workdir, 'hello.txt'), kind: 'add' }], context(run));
      assert.equal(change?.status, 'completed');
      const command = items.find((i) => i.type === 'command_execution');
      assert.equal(command?.exit_code, 0, context(run));
      assert.equal(command?.aggregated_output, 'hello\nthere\n');
      assert.equal(
        items.filter((i) => i.type === 'agent_message').at(-1)?.text,
        'Done: hello.txt says hello there.',
      );
      assert.equal(run.lastMessage.trim(), 'Done: hello.txt says hello there.', 'the -o file');

      // Upstream, apply_patch is an ordinary tool with one string input ...
      const applyPatch = anthropicTools(upstream[0]!).find((t) => t.name === 'apply_patch');
      assert.ok(applyPatch, 'apply_patch offered upstream');
      const props = Object.entries(applyPatch.input_schema?.properties ?? {});
      assert.equal(props.length, 1, JSON.stringify(applyPatch.input_schema));
      assert.equal(props[0]![1].type, 'string');
      // ... and the call Codex replays carries the patch text as it was made.
      const calls = anthropicBlocks(upstream.at(-1)!, 'assistant').filter((b) => b.type === 'tool_use');
      assert.deepEqual(
        calls.map((c) => c.name),
        ['apply_patch', 'exec_command'],
      );
      assert.deepEqual(Object.values(calls[0]!.input ?? {}), [patch]);
      const results = toolResults(upstream.at(-1)!);
      assert.match(
        results[0]!.content,
        /Success\. Updated the following files:\s*A hello\.txt/,
        'the patch result',
      );
      assert.match(results[1]!.content, /hello\nthere/, 'the shell output');
    },
  );

  it(
    'passthrough on a GPT model: the freeform apply_patch tool and a shell command, bodies unchanged',
    { timeout: 180_000 },
    async () => {
      // gpt-* routes to the OpenAI provider, which speaks Responses: the gateway passes the body
      // through as it came and pipes the events back.
      const gptModel = 'gpt-5.5';
      const codexHome = h.scratchDir('codex-home');
      const workdir = h.scratchDir('codex-work');
      writeCodexConfig(codexHome, { baseUrl: h.baseUrl, model: gptModel });

      const patch = '*** Begin Patch\n*** Add File: notes.md\n+# Notes\n*** End Patch\n';
      h.mock.respondWith((req): MockTurn => {
        switch (toolResults(req).length) {
          case 0:
            return {
              thinking: { text: 'Add the file first.', signature: 'enc-reasoning-1' },
              toolCalls: [{ type: 'custom', name: 'apply_patch', input: patch }],
            };
          case 1:
            return {
              toolCalls: [
                { name: 'exec_command', arguments: { cmd: "echo '- one' >> notes.md && cat notes.md" } },
              ],
            };
          default:
            return { text: 'Done: notes.md has a heading and one item.' };
        }
      });

      const run = await runCodex(codexHome, workdir, 'Start notes.md with a heading and one item.', gptModel);
      assertAgentSucceeded(run, 3);
      assert.equal(fileText(join(workdir, 'notes.md')), '# Notes\n- one\n', context(run));
      assert.equal(run.lastMessage.trim(), 'Done: notes.md has a heading and one item.', 'the -o file');

      const upstream = h.mock.requests.filter((r) => r.endpoint === 'generate');
      assert.equal(upstream.length, 3);
      const sent = h.proxy.exchanges.filter((e) => e.method === 'POST' && e.url.startsWith('/v1/responses'));
      upstream.forEach((r, i) => {
        assert.equal(r.path, '/v1/responses');
        assert.equal(r.protocol, 'openai-responses');
        assert.equal(r.model, gptModel);
        assert.equal(r.stream, true);
        // The body as Codex sent it: store false, include, reasoning items, custom tools and all.
        assert.deepEqual(r.body, JSON.parse(sent[i]!.requestBody), `request ${i} passed through unchanged`);
      });
      const input = (upstream.at(-1)!.body as { input: { type?: string; encrypted_content?: string }[] })
        .input;
      assert.ok(
        input.some((item) => item.type === 'reasoning' && item.encrypted_content === 'enc-reasoning-1'),
        'the reasoning item went back to the provider that made it',
      );
      assert.deepEqual(
        input.filter((item) => item.type?.endsWith('_call') === true).map((item) => item.type),
        ['custom_tool_call', 'function_call'],
      );
      const results = toolResults(upstream.at(-1)!);
      assert.match(
        results[0]!.content,
        /Success\. Updated the following files:\s*A notes\.md/,
        'the patch result',
      );
      assert.match(results[1]!.content, /# Notes\n- one/, 'the shell output');
    },
  );
});
