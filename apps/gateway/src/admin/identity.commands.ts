import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  API_KEY_AUTHENTICATOR,
  hashApiKey,
  IdentityError,
  type ApiKeyAuthenticator,
  type ApiKeyRecord,
  type FirewallOverride,
  type IdentityRepository,
  type Team,
} from '@sluice/identity';
import { GatewayError } from '../common/gateway-error';
import { keyIssued, keyRevoked, revocations, teamCreated } from './identity-announcements';
import { IdentityEventsService, type Announce } from './identity-events.service';

/** The admin API's changes to teams and keys, one command each (thin controller, @nestjs/cqrs). */
export class CreateTeam extends Command<Team> {
  constructor(readonly name: unknown) {
    super();
  }
}
export class DisableTeam extends Command<Team> {
  constructor(readonly teamId: string) {
    super();
  }
}
export class CreateApiKey extends Command<{ record: ApiKeyRecord; key: string }> {
  constructor(
    readonly teamId: string,
    readonly name: unknown,
  ) {
    super();
  }
}
export class RevokeApiKey extends Command<ApiKeyRecord> {
  constructor(readonly keyId: string) {
    super();
  }
}
/** Sets (or, with null, clears) the firewall override of a team or of a key. */
export class SetFirewallOverride extends Command<Team | ApiKeyRecord> {
  constructor(
    readonly target: 'team' | 'key',
    readonly id: string,
    readonly policy: FirewallOverride | null,
  ) {
    super();
  }
}

/**
 * What every identity change shares: it runs in one transaction with the identity events it
 * announces (team created/disabled, key issued/revoked: how the ledger learns of keys); domain errors
 * become HTTP errors; a change that can turn a key away (revoke, disable, new policy) drops this
 * gateway's key cache at once (other instances see it within the cache TTL).
 */
abstract class IdentityCommand {
  constructor(
    private readonly events: IdentityEventsService,
    @Inject(API_KEY_AUTHENTICATOR) private readonly auth: ApiKeyAuthenticator,
  ) {}

  protected async run<T>(
    change: (identity: IdentityRepository, announce: Announce) => Promise<T>,
    invalidatesKeys: boolean,
  ): Promise<T> {
    try {
      const result = await this.events.change(change);
      if (invalidatesKeys) this.auth.invalidate();
      return result;
    } catch (err) {
      throw err instanceof IdentityError ? toHttp(err) : err;
    }
  }
}

@CommandHandler(CreateTeam)
export class CreateTeamHandler extends IdentityCommand implements ICommandHandler<CreateTeam> {
  execute(c: CreateTeam): Promise<Team> {
    return this.run(async (identity, announce) => {
      const team = await identity.createTeam(c.name);
      await announce([teamCreated(team)]);
      return team;
    }, false);
  }
}

@CommandHandler(DisableTeam)
export class DisableTeamHandler extends IdentityCommand implements ICommandHandler<DisableTeam> {
  execute(c: DisableTeam): Promise<Team> {
    return this.run(async (identity, announce) => {
      const team = await identity.disableTeam(c.teamId);
      // Every key the disable revoked, then the team (already announced ones are skipped).
      await announce(revocations(team, await identity.listKeys(team.id)));
      return team;
    }, true);
  }
}

@CommandHandler(CreateApiKey)
export class CreateApiKeyHandler extends IdentityCommand implements ICommandHandler<CreateApiKey> {
  execute(c: CreateApiKey): Promise<{ record: ApiKeyRecord; key: string }> {
    return this.run(async (identity, announce) => {
      const created = await identity.createKey(c.teamId, c.name);
      await announce([keyIssued(created.record, hashApiKey(created.key))]);
      return created;
    }, false);
  }
}

@CommandHandler(RevokeApiKey)
export class RevokeApiKeyHandler extends IdentityCommand implements ICommandHandler<RevokeApiKey> {
  execute(c: RevokeApiKey): Promise<ApiKeyRecord> {
    return this.run(async (identity, announce) => {
      const key = await identity.revokeKey(c.keyId);
      if (key.revokedAt !== null) await announce([keyRevoked({ ...key, revokedAt: key.revokedAt })]);
      return key;
    }, true);
  }
}

@CommandHandler(SetFirewallOverride)
export class SetFirewallOverrideHandler
  extends IdentityCommand
  implements ICommandHandler<SetFirewallOverride>
{
  execute(c: SetFirewallOverride): Promise<Team | ApiKeyRecord> {
    return this.run<Team | ApiKeyRecord>(
      (identity) =>
        c.target === 'team'
          ? identity.setTeamFirewall(c.id, c.policy)
          : identity.setKeyFirewall(c.id, c.policy),
      true,
    );
  }
}

export const IDENTITY_COMMAND_HANDLERS = [
  CreateTeamHandler,
  DisableTeamHandler,
  CreateApiKeyHandler,
  RevokeApiKeyHandler,
  SetFirewallOverrideHandler,
];

export function toHttp(err: IdentityError): GatewayError {
  switch (err.code) {
    case 'TEAM_NOT_FOUND':
    case 'KEY_NOT_FOUND':
      return new GatewayError(404, 'not_found', err.message);
    case 'TEAM_NAME_TAKEN':
      return new GatewayError(409, 'invalid_request', err.message);
    case 'TEAM_DISABLED':
    case 'INVALID_NAME':
      return new GatewayError(400, 'invalid_request', err.message);
  }
}
