// The barest Node proxy: node:http and undici, no framework. It forwards the body as bytes to
// UPSTREAM_URL + the request path and pipes the answer back; no parsing, no auth, no features. It
// shows what Fastify itself costs next to the Fastify yardstick.
//
//   UPSTREAM_URL=http://127.0.0.1:18080 PORT=18091 node -r @swc-node/register bench/yardstick/node-proxy.ts
import { createServer } from 'node:http';
import { Agent, request } from 'undici';

const upstream = process.env['UPSTREAM_URL'] ?? 'http://127.0.0.1:18080';
const port = Number(process.env['PORT'] ?? '18091');
// Same pool shape as the gateway's UpstreamClient and the Fastify yardstick.
const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000, connections: 256 });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    request(upstream + (req.url ?? '/'), {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
    }).then(
      (up) => {
        const type = up.headers['content-type'];
        res.writeHead(up.statusCode, typeof type === 'string' ? { 'content-type': type } : {});
        up.body.pipe(res);
      },
      () => {
        res.writeHead(502).end();
      },
    );
  });
});
server.keepAliveTimeout = 120_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`YARDSTICK_URL=http://127.0.0.1:${port}\n`));
const stop = (): void => void server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
