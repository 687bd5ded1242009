import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiKeyIssuedV1Schema, envelopeSchema, identityTopicFor } from '@sluice/events';
import type { ApiKeyRecord, Team } from '@sluice/identity';
import { backfillEvents, keyIssued, teamCreated } from './identity-announcements';

const team = (id: string, disabledAt: string | null = null): Team => ({
  id,
  name: `name of ${id}`,
  createdAt: '2026-11-01T10:00:00.000Z',
  disabledAt,
  firewall: null,
});
const key = (
  id: string,
  teamId: string,
  revokedAt: string | null = null,
): ApiKeyRecord & { keyHash: string } => ({
  id,
  teamId,
  name: 'ci',
  prefix: 'tok_abcdef',
  createdAt: '2026-11-01T11:00:00.000Z',
  revokedAt,
  firewall: null,
  keyHash: 'a'.repeat(64),
});

describe('identity announcements', () => {
  it('mint the same event id for the same fact, whenever built', () => {
    assert.equal(teamCreated(team('t1')).id, teamCreated(team('t1')).id);
    assert.notEqual(teamCreated(team('t1')).id, teamCreated(team('t2')).id);
    const issued = keyIssued(key('k1', 't1'), 'a'.repeat(64));
    assert.equal(issued.id, keyIssued(key('k1', 't1'), 'a'.repeat(64)).id);
    assert.ok(envelopeSchema.safeParse(issued).success, 'a valid envelope');
    const data = apiKeyIssuedV1Schema.parse(issued.data);
    assert.equal(issued.subject, 't1', 'keyed by team: one team’s events stay in order');
    assert.deepEqual(data.scopes, ['gateway', 'ledger:read']);
    assert.ok(!JSON.stringify(issued).includes('tok_abcdef0'), 'no clear key');
  });

  it('backfill: per team created, issued, revoked, disabled; none already announced', () => {
    const teams = [team('t1'), team('t2', '2026-11-02T00:00:00.000Z')];
    const keys = [key('k1', 't1'), key('k2', 't2', '2026-11-02T00:00:00.000Z'), key('k3', 't1')];
    const all = backfillEvents(teams, keys, new Set());
    assert.deepEqual(
      all.map((e) => `${e.type} ${e.subject}`),
      [
        'identity.team.created.v1 t1',
        'identity.api_key.issued.v1 t1',
        'identity.api_key.issued.v1 t1',
        'identity.team.created.v1 t2',
        'identity.api_key.issued.v1 t2',
        'identity.api_key.revoked.v1 t2',
        'identity.team.disabled.v1 t2',
      ],
    );
    const announced = new Set(all.slice(0, 4).map((e) => e.id));
    assert.deepEqual(
      backfillEvents(teams, keys, announced).map((e) => e.id),
      all.slice(4).map((e) => e.id),
    );
    assert.deepEqual(backfillEvents(teams, keys, new Set(all.map((e) => e.id))), []);
  });

  it('name the identity topic after the usage topic', () => {
    assert.equal(identityTopicFor('sluice.usage.v1'), 'sluice.identity.v1');
    assert.equal(identityTopicFor('usage-keys-x1'), 'identity-keys-x1');
    assert.equal(identityTopicFor('events'), 'events.identity');
  });
});
