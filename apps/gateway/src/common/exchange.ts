import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { RequestContext } from './request-context';

/**
 * What the data plane reads of a request. Fastify's request satisfies it (routes served through
 * Nest), and so does the direct lane's (direct/direct-lane.ts), which serves the hot routes straight
 * from node:http: the services below the controllers see one shape either way.
 */
export interface GatewayRequest {
  readonly id: string;
  readonly method: string;
  /** Path and query string, as received. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly query: unknown;
  readonly body: unknown;
  /** The JSON body's bytes as received, for passthrough and the request hash. */
  readonly rawBody?: Buffer | undefined;
  sluice: RequestContext;
}

/** What the data plane does with a response: Fastify's reply, or the direct lane's. */
export interface GatewayReply {
  readonly raw: ServerResponse;
  /** A response was sent, or the handler took the raw response over (`hijack`). */
  readonly sent: boolean;
  status(code: number): GatewayReply;
  header(name: string, value: string): GatewayReply;
  /** A string or Buffer goes as it is; anything else as JSON (`application/json; charset=utf-8`). */
  send(payload: unknown): unknown;
  /** The handler writes the raw response itself (SSE). */
  hijack(): unknown;
}
