import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { z } from 'zod';
import { listDetectors } from '@sluice/firewall';
import {
  AdminAuthGuard,
  IdentityError,
  type FirewallOverride,
  type IdentityRepository,
} from '@sluice/identity';
import { GatewayError } from '../common/gateway-error';
import { IDENTITY_REPOSITORY } from './admin.tokens';
import {
  CreateApiKey,
  CreateTeam,
  DisableTeam,
  RevokeApiKey,
  SetFirewallOverride,
  toHttp,
} from './identity.commands';

type NameBody = { name?: unknown } | undefined;

const DETECTORS = new Set(listDetectors().map((d) => d.id));
const firewallOverrideSchema = z
  .object({
    mode: z.enum(['off', 'monitor', 'enforce', 'redact']).optional(),
    actions: z
      .record(z.enum(['redact', 'block', 'monitor', 'ignore']))
      .refine((a) => Object.keys(a).every((id) => DETECTORS.has(id)), {
        message: 'unknown detector id (see docs/firewall.md)',
      })
      .optional(),
  })
  .strict();

function parseOverride(body: unknown): FirewallOverride {
  const parsed = firewallOverrideSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new GatewayError(
      400,
      'invalid_request',
      `Invalid firewall policy: ${issue.path.join('.') || '(body)'}: ${issue.message}`,
    );
  }
  return parsed.data;
}

/**
 * Teams and API keys, admin key only. Changes go through the command bus (one handler each, in
 * identity.commands.ts); reads go to the repository. A new key is shown once, in its creation
 * response.
 */
@Controller('/api/v1/admin')
@UseGuards(AdminAuthGuard)
export class AdminController {
  constructor(
    @Inject(IDENTITY_REPOSITORY) private readonly identity: IdentityRepository,
    private readonly commands: CommandBus,
  ) {}

  @Post('/teams')
  @HttpCode(201)
  createTeam(@Body() body: NameBody): Promise<unknown> {
    return this.commands.execute(new CreateTeam(body?.name));
  }

  @Get('/teams')
  async listTeams(): Promise<unknown> {
    return { data: await this.identity.listTeams() };
  }

  @Get('/teams/:id')
  getTeam(@Param('id') id: string): Promise<unknown> {
    return read(() => this.identity.getTeam(id));
  }

  /** Disables the team and revokes every key it has. */
  @Delete('/teams/:id')
  disableTeam(@Param('id') id: string): Promise<unknown> {
    return this.commands.execute(new DisableTeam(id));
  }

  @Post('/teams/:id/keys')
  @HttpCode(201)
  async createKey(@Param('id') teamId: string, @Body() body: NameBody): Promise<unknown> {
    const { record, key } = await this.commands.execute(new CreateApiKey(teamId, body?.name ?? 'default'));
    return { ...record, key };
  }

  @Get('/teams/:id/keys')
  async listTeamKeys(@Param('id') teamId: string): Promise<unknown> {
    await read(() => this.identity.getTeam(teamId));
    return { data: await this.identity.listKeys(teamId) };
  }

  /** The team's firewall override ({mode?, actions?}); its keys inherit it unless they override it. */
  @Put('/teams/:id/firewall')
  setTeamFirewall(@Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    return this.commands.execute(new SetFirewallOverride('team', id, parseOverride(body)));
  }

  @Delete('/teams/:id/firewall')
  clearTeamFirewall(@Param('id') id: string): Promise<unknown> {
    return this.commands.execute(new SetFirewallOverride('team', id, null));
  }

  @Put('/keys/:id/firewall')
  setKeyFirewall(@Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    return this.commands.execute(new SetFirewallOverride('key', id, parseOverride(body)));
  }

  @Delete('/keys/:id/firewall')
  clearKeyFirewall(@Param('id') id: string): Promise<unknown> {
    return this.commands.execute(new SetFirewallOverride('key', id, null));
  }

  @Get('/keys')
  async listKeys(): Promise<unknown> {
    return { data: await this.identity.listKeys() };
  }

  @Delete('/keys/:id')
  revokeKey(@Param('id') id: string): Promise<unknown> {
    return this.commands.execute(new RevokeApiKey(id));
  }
}

async function read<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof IdentityError ? toHttp(err) : err;
  }
}
