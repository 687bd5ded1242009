import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  HotCounter,
  HotHistogram,
  type HotCounterChild,
  type HotHistogramChild,
  type Registry,
} from '@sluice/observability';
import type { BudgetEnforcer } from '../budget/budget-enforcer.service';
import {
  CLIENT_CLOSED_CODE,
  CLIENT_CLOSED_STATUS,
  type UsageRecorder,
} from '../usage/usage-recorder.service';
import { protocolOf, type Protocol } from './protocol';
import { newRequestContext, type RequestContext } from './request-context';

/**
 * The life of every request, whichever way it is served (Fastify's hooks or the direct lane): its
 * context, the request id header, and what happens when the response closes (finished or not):
 * budgets settled, the usage event recorded, the request metrics.
 */
export class Exchanges {
  private readonly requests: HotCounter<'route' | 'method' | 'status' | 'lane'>;
  private readonly duration: HotHistogram<'route'>;
  /**
   * The label sets seen, each with its metric children (hot metrics: counted in plain fields, exposed
   * by prom-client's registry as its own Counter and Histogram would be); a handful of routes and
   * statuses make a handful of children, looked up here by one string.
   */
  private readonly children = new Map<string, { requests: HotCounterChild; duration: HotHistogramChild }>();

  constructor(
    private readonly usage: UsageRecorder,
    private readonly budgets: BudgetEnforcer,
    metrics: Registry,
  ) {
    this.requests = new HotCounter(
      'sluice_gateway_http_requests_total',
      'HTTP requests by route, method, status and lane (direct: served from node:http by the direct lane; fastify: through Fastify and Nest)',
      ['route', 'method', 'status', 'lane'],
      metrics,
    );
    this.duration = new HotHistogram(
      'sluice_gateway_http_request_duration_seconds',
      'Time from request to the end of the response',
      ['route'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      metrics,
    );
  }

  /**
   * Starts one request's context. `route` names the route for the metrics once the response has
   * closed (Fastify knows it only after routing); `protocol` defaults to the one of the path.
   */
  open(
    lane: 'direct' | 'fastify',
    id: string,
    url: string,
    method: string,
    res: ServerResponse,
    route: () => string,
    protocol: Protocol = protocolOf(url),
  ): RequestContext {
    const startedAt = performance.now();
    const ctx = newRequestContext(id, protocol, startedAt);
    // On the raw response, so it is there for streamed (hijacked) replies too.
    res.setHeader('x-request-id', id);
    res.once('close', () => {
      const now = performance.now();
      const finished = res.writableFinished;
      const status = finished ? res.statusCode : CLIENT_CLOSED_STATUS;
      if (!finished && ctx.errorCode === null) ctx.errorCode = CLIENT_CLOSED_CODE;
      this.budgets.complete(ctx);
      this.usage.record(ctx, status, now);
      const metrics = this.metricsFor(route(), method, status, lane);
      metrics.requests.inc();
      metrics.duration.observe((now - startedAt) / 1000);
    });
    return ctx;
  }

  private metricsFor(
    route: string,
    method: string,
    status: number,
    lane: string,
  ): { requests: HotCounterChild; duration: HotHistogramChild } {
    const key = `${route} ${method} ${status} ${lane}`;
    let found = this.children.get(key);
    if (found === undefined) {
      found = {
        requests: this.requests.labels({ route, method, status: String(status), lane }),
        duration: this.duration.labels({ route }),
      };
      this.children.set(key, found);
    }
    return found;
  }
}
