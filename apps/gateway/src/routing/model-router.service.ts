import { Inject, Injectable } from '@nestjs/common';
import type { ProviderConfig, RouteRule } from '@sluice/config';
import { GatewayError } from '../common/gateway-error';
import { GATEWAY_RUNTIME, type GatewayRuntime } from '../gateway.runtime';

export type Route = {
  /** The model the client asked for. */
  requested: string;
  /** After aliases: the name sent upstream. */
  served: string;
  /** The providers to try, in order (the route's fallback chain). */
  chain: ProviderConfig[];
};

type CompiledRule = { rule: RouteRule; exact: boolean; re: RegExp };

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * Model name -> providers. Aliases rename first; then an exact route beats every wildcard, and
 * wildcards are tried in the order configured. An unrouted model is a 404 `model_not_found`: it
 * is never answered by another model in disguise.
 */
@Injectable()
export class ModelRouter {
  private readonly rules: CompiledRule[];
  private readonly providers: Map<string, ProviderConfig>;

  constructor(@Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime) {
    const routing = rt.config.routing;
    this.providers = new Map(routing.providers.map((p) => [p.name, p]));
    this.rules = routing.routes.map((rule) => ({
      rule,
      exact: !rule.pattern.includes('*'),
      re: globToRegExp(rule.pattern),
    }));
  }

  resolve(model: string): Route {
    const served = this.rt.config.routing.aliases[model] ?? model;
    const rule =
      this.rules.find((r) => r.exact && r.rule.pattern === served) ??
      this.rules.find((r) => !r.exact && r.re.test(served));
    if (!rule) {
      throw new GatewayError(
        404,
        'model_not_found',
        `The model '${model}' does not exist or no provider is configured for it.`,
        'model',
      );
    }
    return { requested: model, served, chain: rule.rule.providers.map((name) => this.providers.get(name)!) };
  }

  /** The model names routes and aliases name exactly (wildcard routes cannot be listed). */
  models(): Array<{ id: string; ownedBy: string }> {
    const out = new Map<string, string>();
    for (const r of this.rules) if (r.exact) out.set(r.rule.pattern, r.rule.providers[0] ?? 'sluice');
    for (const [alias, target] of Object.entries(this.rt.config.routing.aliases)) {
      try {
        out.set(alias, this.resolve(target).chain[0]?.name ?? 'sluice');
      } catch {
        // an alias to an unrouted model is not servable: not listed
      }
    }
    return [...out].map(([id, ownedBy]) => ({ id, ownedBy: ownedBy === 'loopback' ? 'sluice' : ownedBy }));
  }
}
