import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { listDetectors } from '@sluice/firewall';
import {
  AdminAuthGuard,
  API_KEY_AUTHENTICATOR,
  IdentityError,
  type ApiKeyAuthenticator,
  type FirewallOverride,
  type IdentityRepository,
} from '@sluice/identity';
import { GatewayError } from '../common/gateway-error';
import { IDENTITY_REPOSITORY } from './admin.tokens';

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

/** Teams and API keys, admin key only. A new key is shown once, in the creation response. */
@Controller('/api/v1/admin')
@UseGuards(AdminAuthGuard)
export class AdminController {
  constructor(
    @Inject(IDENTITY_REPOSITORY) private readonly identity: IdentityRepository,
    @Inject(API_KEY_AUTHENTICATOR) private readonly auth: ApiKeyAuthenticator,
  ) {}

  @Post('/teams')
  @HttpCode(201)
  async createTeam(@Body() body: NameBody): Promise<unknown> {
    return mapErrors(() => this.identity.createTeam(body?.name));
  }

  @Get('/teams')
  async listTeams(): Promise<unknown> {
    return { data: await this.identity.listTeams() };
  }

  @Get('/teams/:id')
  async getTeam(@Param('id') id: string): Promise<unknown> {
    return mapErrors(() => this.identity.getTeam(id));
  }

  /** Disables the team and revokes every key it has. */
  @Delete('/teams/:id')
  async disableTeam(@Param('id') id: string): Promise<unknown> {
    const team = await mapErrors(() => this.identity.disableTeam(id));
    this.auth.invalidate();
    return team;
  }

  @Post('/teams/:id/keys')
  @HttpCode(201)
  async createKey(@Param('id') teamId: string, @Body() body: NameBody): Promise<unknown> {
    const { record, key } = await mapErrors(() => this.identity.createKey(teamId, body?.name ?? 'default'));
    return { ...record, key };
  }

  @Get('/teams/:id/keys')
  async listTeamKeys(@Param('id') teamId: string): Promise<unknown> {
    await mapErrors(() => this.identity.getTeam(teamId));
    return { data: await this.identity.listKeys(teamId) };
  }

  /** The team's firewall override ({mode?, actions?}); its keys inherit it unless they override it. */
  @Put('/teams/:id/firewall')
  async setTeamFirewall(@Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const team = await mapErrors(() => this.identity.setTeamFirewall(id, parseOverride(body)));
    this.auth.invalidate();
    return team;
  }

  @Delete('/teams/:id/firewall')
  async clearTeamFirewall(@Param('id') id: string): Promise<unknown> {
    const team = await mapErrors(() => this.identity.setTeamFirewall(id, null));
    this.auth.invalidate();
    return team;
  }

  @Put('/keys/:id/firewall')
  async setKeyFirewall(@Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const key = await mapErrors(() => this.identity.setKeyFirewall(id, parseOverride(body)));
    this.auth.invalidate();
    return key;
  }

  @Delete('/keys/:id/firewall')
  async clearKeyFirewall(@Param('id') id: string): Promise<unknown> {
    const key = await mapErrors(() => this.identity.setKeyFirewall(id, null));
    this.auth.invalidate();
    return key;
  }

  @Get('/keys')
  async listKeys(): Promise<unknown> {
    return { data: await this.identity.listKeys() };
  }

  @Delete('/keys/:id')
  async revokeKey(@Param('id') id: string): Promise<unknown> {
    const key = await mapErrors(() => this.identity.revokeKey(id));
    this.auth.invalidate();
    return key;
  }
}

async function mapErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof IdentityError) {
      switch (err.code) {
        case 'TEAM_NOT_FOUND':
        case 'KEY_NOT_FOUND':
          throw new GatewayError(404, 'not_found', err.message);
        case 'TEAM_NAME_TAKEN':
          throw new GatewayError(409, 'invalid_request', err.message);
        case 'TEAM_DISABLED':
        case 'INVALID_NAME':
          throw new GatewayError(400, 'invalid_request', err.message);
      }
    }
    throw err;
  }
}
