import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { GatewayConfig } from '@sluice/config';
import { errorBody, protocolOf, type Protocol } from './common/protocol';
import { requestListenerOf } from './gateway.app';

export type PortFamily = 'admin' | 'openai' | 'anthropic' | 'gemini';

const ALWAYS = new Set(['/health', '/ready']);

/** Which family a path belongs to (for the per-family ports). */
export function familyOf(path: string): PortFamily | null {
  if (path.startsWith('/api/') || path === '/metrics') return 'admin';
  const p: Protocol = protocolOf(path);
  switch (p) {
    case 'admin':
      return 'admin';
    case 'anthropic':
      return 'anthropic';
    case 'gemini':
      return 'gemini';
    case 'openai':
      return path.startsWith('/v1beta/openai/') ? 'gemini' : 'openai';
  }
}

/**
 * Multi-port mode: besides the facade port (everything), one port per family serving only its own
 * endpoints and the health checks. The extra servers hand accepted requests to the facade's own
 * listener (the direct lane, then Fastify's router), so auth, metrics and usage events are the facade's.
 */
export async function listenFamilyPorts(
  app: NestFastifyApplication,
  config: GatewayConfig,
): Promise<{ urls: Record<PortFamily, string>; close(): Promise<void> }> {
  const ports = config.multiPort;
  if (!ports) return { urls: {} as Record<PortFamily, string>, close: async () => undefined };
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  const dispatch = requestListenerOf(app);
  const servers: Server[] = [];
  const urls = {} as Record<PortFamily, string>;
  for (const family of ['admin', 'openai', 'anthropic', 'gemini'] as const) {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
      if (ALWAYS.has(path) || familyOf(path) === family) {
        dispatch(req, res);
        return;
      }
      const protocol = family === 'admin' ? 'openai' : family;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          errorBody(
            protocol,
            404,
            'not_found',
            `${req.method ?? 'GET'} ${path} is not served on the ${family} port.`,
          ),
        ),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[family], config.host, () => resolve());
    });
    servers.push(server);
    urls[family] = `http://${config.host}:${(server.address() as AddressInfo).port}`;
  }
  return {
    urls,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
