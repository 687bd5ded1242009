import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { API_KEY_AUTHENTICATOR, extractApiKey, type ApiKeyAuthenticator } from '@sluice/identity';
import type { GatewayRequest } from '../common/exchange';
import { GatewayError } from '../common/gateway-error';
import { UsageRecorder } from '../usage/usage-recorder.service';

/**
 * Every data-plane route: a key from `Authorization: Bearer`, `x-api-key`, `x-goog-api-key` or
 * Gemini's `?key=`; resolved from a cache (no database query per request). Work is refused while
 * usage events could not be kept.
 */
@Injectable()
export class DataPlaneGuard implements CanActivate {
  constructor(
    @Inject(API_KEY_AUTHENTICATOR) private readonly auth: ApiKeyAuthenticator,
    private readonly usage: UsageRecorder,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.admit(context.switchToHttp().getRequest<FastifyRequest>());
    return true;
  }

  /** The check itself, for Nest's routes (above) and the direct lane's. */
  async admit(req: GatewayRequest): Promise<void> {
    const key = extractApiKey(req.headers, req.query as Record<string, unknown> | undefined);
    if (!key) {
      throw new GatewayError(
        401,
        'missing_api_key',
        'Missing API key: send it as "Authorization: Bearer <key>", "x-api-key" or "x-goog-api-key".',
      );
    }
    const principal = await this.auth.authenticate(key);
    if (!principal) throw new GatewayError(401, 'invalid_api_key', 'Invalid API key: unknown or revoked.');
    if (!this.usage.hasRoom()) {
      throw new GatewayError(503, 'overloaded', 'The gateway cannot record usage right now; retry shortly.');
    }
    req.sluice.principal = principal;
  }
}
