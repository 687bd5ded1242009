import { createParamDecorator, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Principal } from '@sluice/identity';

type WithUser = { user?: Principal };

/** The caller the guard authenticated (`LedgerAuthGuard` or `AdminAuthGuard`), as a resolver argument. */
export const LedgerPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const req =
      context.getType<string>() === 'graphql'
        ? GqlExecutionContext.create(context).getContext<{ req?: WithUser }>().req
        : context.switchToHttp().getRequest<WithUser>();
    // Only reachable without a guard on the resolver: a programming error, not a caller's.
    if (!req?.user) throw new UnauthorizedException('no authenticated caller (is LedgerAuthGuard applied?)');
    return req.user;
  },
);
