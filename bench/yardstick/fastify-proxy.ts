// The yardstick: the least a Node proxy can do with Fastify and undici. It forwards the body as
// bytes to UPSTREAM_URL + the request path and pipes the answer back; no parsing, no auth, no
// features. Whatever the gateway does beyond this is its overhead.
//
//   UPSTREAM_URL=http://127.0.0.1:18080 PORT=18090 node -r @swc-node/register bench/yardstick/fastify-proxy.ts
import Fastify from 'fastify';
import { Agent, request } from 'undici';

const upstream = process.env['UPSTREAM_URL'] ?? 'http://127.0.0.1:18080';
const port = Number(process.env['PORT'] ?? '18090');
// Same pool shape as the gateway's UpstreamClient, so both have the same connection reuse.
const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000, connections: 256 });

const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

app.post('/*', async (req, reply) => {
  const res = await request(upstream + req.url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json' },
    body: req.body as Buffer,
  });
  const type = res.headers['content-type'];
  reply.code(res.statusCode);
  if (typeof type === 'string') reply.header('content-type', type);
  return reply.send(res.body);
});

app.listen({ host: '127.0.0.1', port }).then(
  (url) => process.stdout.write(`YARDSTICK_URL=${url}\n`),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
const stop = (): void => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
