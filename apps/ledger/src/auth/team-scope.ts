import { ForbiddenException } from '@nestjs/common';
import type { Principal } from '@sluice/identity';

/**
 * Team scoping for ledger queries (README, "Ledger GraphQL: keys and scopes"). The admin (master)
 * key sees every team; a team key sees only its own. Denials are `ForbiddenException`, which the
 * GraphQL driver turns into an error with `extensions.code = "FORBIDDEN"` (HTTP 403 on REST).
 */

/**
 * The team a query may read. Admin: the requested team, or null (= every team) when none was asked.
 * Team key: its own team when none or its own was asked; FORBIDDEN for any other.
 */
export function scopeTeam(principal: Principal, requestedTeam: string | null | undefined): string | null {
  const requested = requestedTeam ?? null;
  if (principal.kind === 'admin') return requested;
  if (requested === null || requested === principal.teamId) return principal.teamId;
  throw new ForbiddenException(`this key may only read team ${principal.teamId}`);
}

/** Whether a row of `teamId` may be shown (for lookups by id: hide, rather than reveal, others' rows). */
export function canSeeTeam(principal: Principal, teamId: string | null): boolean {
  return principal.kind === 'admin' || (teamId !== null && teamId === principal.teamId);
}

/** For mutations and platform-wide reads: the admin key only. */
export function requireAdmin(principal: Principal): void {
  if (principal.kind !== 'admin') throw new ForbiddenException('this operation needs the admin key');
}
