import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type MockTurn, type RecordedRequest, toolResults } from '@sluice/testing';
import { claudeCodeBinary, runAgent, SYSTEM_PATH } from './helpers/agent-process';
import { type AgentHarness, startAgentHarness } from './helpers/agent-harness';

const MODEL = 'gpt-5.5';
const AGENT_TIMEOUT_MS = 150_000;

/** The environment Claude Code needs to run offline against a local base URL, and nothing else. */
function claudeEnv(baseUrl: string, apiKey: string, home: string): Record<string, string> {
  return {
    PATH: SYSTEM_PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: apiKey,
    // Every model slot, so that any background call is routed to the same GPT model.
    ANTHROPIC_MODEL: MODEL,
    ANTHROPIC_SMALL_FAST_MODEL: MODEL,
    ANTHROPIC_DEFAULT_HAIKU_MODEL: MODEL,
    ANTHROPIC_DEFAULT_SONNET_MODEL: MODEL,
    ANTHROPIC_DEFAULT_OPUS_MODEL: MODEL,
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_BUG_COMMAND: '1',
    // Without it an upstream 5xx is retried with backoff for minutes.
    CLAUDE_CODE_MAX_RETRIES: '1',
  };
}

/** Claude Code's `--output-format json` result line. */
interface ClaudeResult {
  type: string;
  subtype: string;
  is_error: boolean;
  num_turns: number;
  result: string;
}

interface ChatMessage {
  role: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
}

/** Request fields of OpenAI Chat Completions: anything else would be a 400 from the real API. */
const CHAT_FIELDS = new Set([
  'model',
  'messages',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'max_completion_tokens',
  'max_tokens',
  'reasoning_effort',
  'user',
  'safety_identifier',
  'prompt_cache_key',
  'stream',
  'stream_options',
  'temperature',
  'top_p',
  'stop',
  'n',
  'metadata',
  'store',
  'response_format',
  'seed',
  'frequency_penalty',
  'presence_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'service_tier',
  'modalities',
  'audio',
  'prediction',
  'verbosity',
  'web_search_options',
]);

const chatMessages = (req: RecordedRequest): ChatMessage[] =>
  (req.body as { messages?: ChatMessage[] }).messages ?? [];

/**
 * Issue 3 and 4: the real Claude Code binary from npm, on a GPT model, through the gateway. Claude
 * Code speaks Anthropic Messages (always streamed); the route sends `gpt-*` to the OpenAI provider,
 * here the scripted mock, so the gateway translates Messages <-> Chat Completions both ways.
 */
describe('Claude Code through the gateway on a GPT model', { timeout: 300_000 }, () => {
  let h: AgentHarness;

  before(async () => {
    h = await startAgentHarness();
  });

  after(async () => {
    await h?.close();
  });

  it(
    'finishes a Write -> Edit -> Bash -> text tool loop that changes files on disk',
    { timeout: 200_000 },
    async () => {
      const home = h.scratchDir('claude-home');
      const workdir = h.scratchDir('claude-work');
      const notes = join(workdir, 'notes.txt');

      // The "model": decides each turn from the tool results it has been sent, as a real one would.
      h.mock.respondWith((req): MockTurn => {
        if ((req.body as { tools?: unknown[] }).tools === undefined) return { text: 'ok' };
        switch (toolResults(req).length) {
          case 0:
            return {
              text: 'I will create the file.',
              toolCalls: [{ name: 'Write', arguments: { file_path: notes, content: 'alpha\nbeta\n' } }],
            };
          case 1:
            return {
              toolCalls: [
                { name: 'Edit', arguments: { file_path: notes, old_string: 'beta', new_string: 'gamma' } },
              ],
            };
          case 2:
            return {
              toolCalls: [
                {
                  name: 'Bash',
                  arguments: {
                    command: 'echo delta >> notes.txt && wc -l < notes.txt',
                    description: 'Append a line',
                  },
                },
              ],
            };
          default:
            return { text: 'Done: notes.txt has three lines.' };
        }
      });

      const run = await runAgent({
        command: claudeCodeBinary(),
        args: [
          '-p',
          'Create notes.txt with two lines, alpha and beta, change beta to gamma, then append delta.',
          '--model',
          MODEL,
          '--output-format',
          'json',
          '--allowedTools',
          'Write,Edit,Bash',
          '--max-turns',
          '8',
        ],
        cwd: workdir,
        env: claudeEnv(h.baseUrl, h.apiKey, home),
        timeoutMs: AGENT_TIMEOUT_MS,
      });
      const context = `exit ${run.exitCode} after ${run.durationMs} ms${run.timedOut ? ' (timed out)' : ''}\nstdout: ${run.stdout.slice(-2000)}\nstderr: ${run.stderr.slice(-2000)}\ngateway refusals: ${h.proxy.failures().join('\n')}`;

      // The gateway accepted every Messages request as Claude Code sent it: Claude Code retries a 400
      // with fewer features, so a refusal would otherwise go unnoticed.
      const messageCalls = h.proxy.exchanges.filter(
        (e) => e.method === 'POST' && e.url.startsWith('/v1/messages'),
      );
      assert.ok(messageCalls.length >= 4, context);
      assert.deepEqual(
        messageCalls.filter((e) => e.status !== 200).map((e) => `${e.url} -> ${e.status} ${e.errorBody}`),
        [],
        context,
      );

      assert.equal(run.timedOut, false, context);
      assert.equal(run.exitCode, 0, context);
      const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ClaudeResult;
      assert.equal(result.type, 'result', context);
      assert.equal(result.subtype, 'success', context);
      assert.equal(result.is_error, false, context);
      assert.equal(result.num_turns, 4, context);
      assert.match(result.result, /Done: notes\.txt has three lines\./);

      // The files on disk: written, edited, then appended to by the shell.
      assert.equal(readFileSync(notes, 'utf8'), 'alpha\ngamma\ndelta\n');

      // The upstream received OpenAI Chat Completions, streamed, each carrying the previous tool results.
      const generate = h.mock.requests.filter((r) => r.endpoint === 'generate');
      assert.ok(generate.length >= 4, `${generate.length} upstream requests`);
      for (const r of generate) {
        assert.equal(r.path, '/v1/chat/completions');
        assert.equal(r.protocol, 'openai-chat');
        assert.equal(r.model, MODEL);
        assert.equal(r.stream, true);
      }
      const loop = generate.filter((r) => (r.body as { tools?: unknown[] }).tools !== undefined);
      assert.deepEqual(
        loop.map((r) => toolResults(r).length),
        [0, 1, 2, 3],
        'one request per step, each with one more tool result',
      );
      const last = loop.at(-1)!;
      const results = toolResults(last);
      assert.match(results[0]!.content, /created|success/i, 'the Write result');
      assert.match(results[1]!.content, /updated|edited|success/i, 'the Edit result');
      assert.match(results[2]!.content, /^\s*3\s*$/m, 'the Bash result: wc printed 3 lines');
      assert.ok(!results.some((r) => r.isError));

      // Every tool result answers a tool call the assistant made earlier in the same conversation.
      const messages = chatMessages(last);
      const callIds = messages.flatMap((m) => (m.tool_calls ?? []).map((c) => c.id));
      const calledTools = messages.flatMap((m) => (m.tool_calls ?? []).map((c) => c.function.name));
      assert.deepEqual(calledTools, ['Write', 'Edit', 'Bash']);
      assert.deepEqual(
        messages.filter((m) => m.role === 'tool').map((m) => m.tool_call_id),
        callIds,
      );
      // Claude Code's tool definitions reached the upstream as Chat function tools, their JSON schemas
      // cleaned of `$schema`.
      const tools = (
        last.body as { tools: { type: string; function: { name: string; parameters: object } }[] }
      ).tools;
      for (const name of ['Write', 'Edit', 'Bash']) {
        assert.ok(
          tools.some((t) => t.type === 'function' && t.function.name === name),
          `${name} offered upstream`,
        );
      }
      assert.ok(!JSON.stringify(tools).includes('"$schema"'), 'no $schema upstream');

      // Claude Code's Anthropic-only fields (thinking adaptive, output_config, context_management,
      // metadata.user_id as a JSON string, max_tokens) were mapped or dropped: only Chat fields went up.
      const sent = JSON.parse(messageCalls[1]!.requestBody) as Record<string, unknown>;
      assert.ok(
        'thinking' in sent && 'output_config' in sent && 'context_management' in sent,
        'what Claude Code sent',
      );
      for (const r of loop) {
        const unknown = Object.keys(r.body as object).filter((k) => !CHAT_FIELDS.has(k));
        assert.deepEqual(unknown, [], 'only Chat Completions fields upstream');
        for (const m of chatMessages(r))
          assert.ok(['system', 'developer', 'user', 'assistant', 'tool'].includes(m.role));
      }
    },
  );
});
