import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One exchange between an agent and the gateway, as the proxy saw it. */
export interface ProxiedExchange {
  method: string;
  /** Path and query, as the agent sent them. */
  url: string;
  requestHeaders: IncomingHttpHeaders;
  /** The request body as text (JSON for both agents). */
  requestBody: string;
  status: number;
  /** The response body, kept only for statuses of 400 and above (streams are not buffered). */
  errorBody: string;
}

/**
 * A transparent HTTP proxy in front of the gateway. Both agents quietly retry a rejected request with
 * fewer features (Claude Code drops betas and fields after a 400), so a test that only looked at the
 * outcome could pass on degraded requests: the proxy records every status the gateway gave the agent.
 */
export class RecordingProxy {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    /** Every exchange, oldest first. */
    readonly exchanges: ProxiedExchange[],
  ) {}

  static async start(targetUrl: string): Promise<RecordingProxy> {
    const target = new URL(targetUrl);
    const exchanges: ProxiedExchange[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const exchange: ProxiedExchange = {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          requestHeaders: req.headers,
          requestBody: body.toString('utf8'),
          status: 0,
          errorBody: '',
        };
        exchanges.push(exchange);
        const upstream = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: target.host },
          },
          (upRes) => {
            exchange.status = upRes.statusCode ?? 0;
            res.writeHead(exchange.status, upRes.headers);
            if (exchange.status >= 400) {
              upRes.on('data', (c: Buffer) => (exchange.errorBody += c.toString('utf8')));
            }
            upRes.pipe(res);
          },
        );
        upstream.on('error', (err) => {
          exchange.status = 502;
          exchange.errorBody = err.message;
          res.destroy(err);
        });
        // The agent hanging up must reach the gateway, as it would without the proxy.
        res.on('close', () => {
          if (!res.writableFinished) upstream.destroy();
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new RecordingProxy(server, `http://127.0.0.1:${port}`, exchanges);
  }

  /** Exchanges the gateway refused or failed, as `METHOD url -> status body` lines. */
  failures(): string[] {
    return this.exchanges
      .filter((e) => e.status >= 400)
      .map((e) => `${e.method} ${e.url} -> ${e.status} ${e.errorBody.slice(0, 500)}`);
  }

  reset(): void {
    this.exchanges.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
