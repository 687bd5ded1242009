import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ForbiddenException } from '@nestjs/common';
import type { Principal } from '@sluice/identity';
import { canSeeTeam, requireAdmin, scopeTeam } from './team-scope';

const admin: Principal = { kind: 'admin', teamId: 'default', keyId: 'master' };
const acme: Principal = { kind: 'team', teamId: 'team_acme', keyId: 'key_1' };

const forbidden = (fn: () => unknown): void =>
  assert.throws(fn, (err: unknown) => err instanceof ForbiddenException && err.getStatus() === 403);

describe('scopeTeam', () => {
  it('lets the admin key read any team, or every team when it names none', () => {
    assert.equal(scopeTeam(admin, 'team_other'), 'team_other');
    assert.equal(scopeTeam(admin, 'default'), 'default');
    assert.equal(scopeTeam(admin, null), null);
    assert.equal(scopeTeam(admin, undefined), null);
  });

  it('gives a team key its own team when it names none or its own', () => {
    assert.equal(scopeTeam(acme, null), 'team_acme');
    assert.equal(scopeTeam(acme, undefined), 'team_acme');
    assert.equal(scopeTeam(acme, 'team_acme'), 'team_acme');
  });

  it('refuses a team key another team (FORBIDDEN), including the admin key`s default team', () => {
    forbidden(() => scopeTeam(acme, 'team_other'));
    forbidden(() => scopeTeam(acme, 'default'));
    forbidden(() => scopeTeam(acme, ''));
  });
});

describe('canSeeTeam and requireAdmin', () => {
  it('shows a team key only rows of its team', () => {
    assert.equal(canSeeTeam(acme, 'team_acme'), true);
    assert.equal(canSeeTeam(acme, 'team_other'), false);
    assert.equal(canSeeTeam(acme, null), false);
    assert.equal(canSeeTeam(admin, 'team_other'), true);
    assert.equal(canSeeTeam(admin, null), true);
  });

  it('admits only the admin key to admin operations', () => {
    assert.doesNotThrow(() => requireAdmin(admin));
    forbidden(() => requireAdmin(acme));
  });
});
