// Renders the fixed answers the nginx mock serves, once, from the MockUpstream in fixed mode, so the
// bytes nginx writes are the providers' real wire formats (the same ones the e2e tests check with
// the official SDKs). Run again only to change the answer:
//
//   node -r @swc-node/register bench/mock/render-bodies.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockUpstream } from '@sluice/testing';

const TEXT =
  'The quick brown fox jumps over the lazy dog while the patient gateway relays every token ' +
  'of this fixed answer back to the benchmark client without adding much of its own time.';
/** The streamed figures used 20 SSE chunks of text. */
const CHUNKS = 20;
const OUT = join(__dirname, 'bodies');

async function fetchBody(url: string, headers: Record<string, string>, body: unknown): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.text();
}

async function main(): Promise<void> {
  const mock = await MockUpstream.start({ fixed: { text: TEXT, chunks: CHUNKS } });
  try {
    const messages = [{ role: 'user', content: 'Say the fixed answer.' }];
    const files: Record<string, string> = {
      'openai-chat.json': await fetchBody(
        `${mock.url}/v1/chat/completions`,
        {},
        { model: 'gpt-bench', messages },
      ),
      // The gateway always asks for the usage chunk, so the fixed stream carries it, as OpenAI's does.
      'openai-chat.sse': await fetchBody(
        `${mock.url}/v1/chat/completions`,
        {},
        { model: 'gpt-bench', messages, stream: true, stream_options: { include_usage: true } },
      ),
      'anthropic-messages.json': await fetchBody(
        `${mock.url}/v1/messages`,
        { 'anthropic-version': '2023-06-01' },
        { model: 'claude-bench', max_tokens: 256, messages },
      ),
      'anthropic-messages.sse': await fetchBody(
        `${mock.url}/v1/messages`,
        { 'anthropic-version': '2023-06-01' },
        { model: 'claude-bench', max_tokens: 256, messages, stream: true },
      ),
    };
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(OUT, name), text);
      process.stdout.write(`${name}: ${Buffer.byteLength(text)} bytes\n`);
    }
  } finally {
    await mock.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
