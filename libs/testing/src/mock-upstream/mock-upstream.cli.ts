// Runs the mock upstream as its own process, for benchmarks and manual tries:
//
//   node -r @swc-node/register libs/testing/src/mock-upstream/mock-upstream.cli.ts \
//     [--port 18080] [--fixed "answer text"] [--chunks 8] [--chunk-delay-ms 0] [--first-byte-delay-ms 0]
//
// Without --fixed it serves the default echo and records nothing useful to anyone (the process owns the
// recording); with --fixed every answer is pre-rendered. Prints `MOCK_UPSTREAM_URL=<url>` once listening.
import { parseArgs } from 'node:util';
import { MockUpstream } from './mock-upstream';
import type { MockTurn } from './mock-upstream.types';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      fixed: { type: 'string' },
      chunks: { type: 'string' },
      'chunk-delay-ms': { type: 'string' },
      'first-byte-delay-ms': { type: 'string' },
    },
  });
  const turn: MockTurn = {};
  if (values.chunks !== undefined) turn.chunks = Number(values.chunks);
  if (values['chunk-delay-ms'] !== undefined) turn.chunkDelayMs = Number(values['chunk-delay-ms']);
  if (values['first-byte-delay-ms'] !== undefined)
    turn.firstByteDelayMs = Number(values['first-byte-delay-ms']);
  const fixed = values.fixed !== undefined ? { ...turn, text: values.fixed } : undefined;
  const mock = await MockUpstream.start({ port: Number(values.port), fixed, maxRecordedRequests: 1000 });
  if (fixed === undefined && Object.keys(turn).length > 0) mock.respondWith(() => turn);
  process.stdout.write(`MOCK_UPSTREAM_URL=${mock.url}\n`);
  const stop = (): void => {
    void mock.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
