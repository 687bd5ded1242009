import {
  Inject,
  Injectable,
  UnauthorizedException,
  ForbiddenException,
  type ExecutionContext,
} from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import { GqlExecutionContext } from '@nestjs/graphql';
import { Strategy } from 'passport-custom';
import { extractApiKey } from '../api-keys';
import type { ApiKeyAuthenticator } from '../api-key.authenticator';
import type { Principal } from '../principal';

export const API_KEY_AUTHENTICATOR = Symbol('API_KEY_AUTHENTICATOR');
export const ADMIN_STRATEGY = 'sluice-admin';

type HeaderBag = { headers: Record<string, string | string[] | undefined> };

/**
 * The control plane's passport strategy: the admin REST API and the GraphQL endpoints accept only
 * the master key. A missing or unknown key is 401; a valid team key is 403 (known, not allowed).
 */
@Injectable()
export class AdminKeyStrategy extends PassportStrategy(Strategy, ADMIN_STRATEGY) {
  constructor(@Inject(API_KEY_AUTHENTICATOR) private readonly auth: ApiKeyAuthenticator) {
    super();
  }

  async validate(req: HeaderBag): Promise<Principal> {
    const key = extractApiKey(req.headers);
    if (!key) throw new UnauthorizedException('an admin API key is required (Authorization: Bearer <key>)');
    const principal = await this.auth.authenticate(key);
    if (!principal) throw new UnauthorizedException('invalid API key');
    if (principal.kind !== 'admin') throw new ForbiddenException('this API needs the admin key');
    return principal;
  }
}

/** Works on REST routes and on GraphQL resolvers alike. */
@Injectable()
export class AdminAuthGuard extends AuthGuard(ADMIN_STRATEGY) {
  override getRequest(context: ExecutionContext): unknown {
    if (context.getType<string>() === 'graphql') {
      return GqlExecutionContext.create(context).getContext<{ req: unknown }>().req;
    }
    return context.switchToHttp().getRequest();
  }

  // Passport wants to write the challenge on a response object; errors are thrown instead.
  override handleRequest<T>(err: unknown, user: T | false): T {
    if (err instanceof Error) throw err;
    if (err) throw new UnauthorizedException('authentication failed');
    if (!user) throw new UnauthorizedException('an admin API key is required');
    return user;
  }
}
