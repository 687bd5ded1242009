import {
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import {
  API_KEY_AUTHENTICATOR,
  extractApiKey,
  type ApiKeyAuthenticator,
  type Principal,
} from '@sluice/identity';

type Req = { headers: Record<string, string | string[] | undefined>; user?: Principal };

/**
 * Admits the admin key and team keys the ledger knows (ledger.api_keys, fed by identity events); puts
 * the caller on the request for `@LedgerPrincipal()`. What a caller may see is decided per query by
 * `scopeTeam` / `canSeeTeam` / `requireAdmin` (team-scope.ts). A missing or unknown key is
 * UNAUTHENTICATED.
 */
@Injectable()
export class LedgerAuthGuard implements CanActivate {
  constructor(@Inject(API_KEY_AUTHENTICATOR) private readonly auth: ApiKeyAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req =
      context.getType<string>() === 'graphql'
        ? GqlExecutionContext.create(context).getContext<{ req: Req }>().req
        : context.switchToHttp().getRequest<Req>();
    const key = extractApiKey(req.headers);
    if (!key) throw new UnauthorizedException('an API key is required (Authorization: Bearer <key>)');
    const principal = await this.auth.authenticate(key);
    if (!principal) throw new UnauthorizedException('invalid API key');
    req.user = principal;
    return true;
  }
}
