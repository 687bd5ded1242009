import {
  API_KEY_SCOPES,
  IDENTITY_API_KEY_ISSUED_V1,
  IDENTITY_API_KEY_REVOKED_V1,
  IDENTITY_TEAM_CREATED_V1,
  IDENTITY_TEAM_DISABLED_V1,
  identityEventId,
  makeEnvelope,
  type IdentityEvent,
} from '@sluice/events';
import type { ApiKeyRecord, Team } from '@sluice/identity';

/**
 * The identity events of one fact each, with ids derived from (type, entity): the admin API and the
 * start-up backfill build the same event for the same fact, so announcing twice is harmless.
 */
const PRODUCER = 'gateway';

export function teamCreated(team: Team): IdentityEvent {
  return makeEnvelope({
    id: identityEventId(IDENTITY_TEAM_CREATED_V1, team.id),
    type: IDENTITY_TEAM_CREATED_V1,
    subject: team.id,
    producer: PRODUCER,
    occurredAt: new Date(team.createdAt),
    data: { teamId: team.id, name: team.name, createdAt: team.createdAt },
  });
}

export function teamDisabled(team: Team & { disabledAt: string }): IdentityEvent {
  return makeEnvelope({
    id: identityEventId(IDENTITY_TEAM_DISABLED_V1, team.id),
    type: IDENTITY_TEAM_DISABLED_V1,
    subject: team.id,
    producer: PRODUCER,
    occurredAt: new Date(team.disabledAt),
    data: { teamId: team.id, disabledAt: team.disabledAt },
  });
}

/** `keyHash` is the SHA-256 the gateway stores (`hashApiKey`); the clear key is never in an event. */
export function keyIssued(key: ApiKeyRecord, keyHash: string): IdentityEvent {
  return makeEnvelope({
    id: identityEventId(IDENTITY_API_KEY_ISSUED_V1, key.id),
    type: IDENTITY_API_KEY_ISSUED_V1,
    subject: key.teamId,
    producer: PRODUCER,
    occurredAt: new Date(key.createdAt),
    data: {
      keyId: key.id,
      teamId: key.teamId,
      name: key.name,
      keyHash,
      keyPrefix: key.prefix,
      scopes: [...API_KEY_SCOPES],
      issuedAt: key.createdAt,
    },
  });
}

export function keyRevoked(key: ApiKeyRecord & { revokedAt: string }): IdentityEvent {
  return makeEnvelope({
    id: identityEventId(IDENTITY_API_KEY_REVOKED_V1, key.id),
    type: IDENTITY_API_KEY_REVOKED_V1,
    subject: key.teamId,
    producer: PRODUCER,
    occurredAt: new Date(key.revokedAt),
    data: { keyId: key.id, teamId: key.teamId, revokedAt: key.revokedAt },
  });
}

/** The revocations a team's keys show (after a disable revoked them all) and, if disabled, the team's. */
export function revocations(team: Team, keys: readonly ApiKeyRecord[]): IdentityEvent[] {
  const events: IdentityEvent[] = [];
  for (const k of keys) if (k.revokedAt !== null) events.push(keyRevoked({ ...k, revokedAt: k.revokedAt }));
  if (team.disabledAt !== null) events.push(teamDisabled({ ...team, disabledAt: team.disabledAt }));
  return events;
}

/**
 * Every event the current teams and keys imply, in an order a consumer can apply (per team: created,
 * keys issued, keys revoked, disabled), less those already announced.
 */
export function backfillEvents(
  teams: readonly Team[],
  keys: ReadonlyArray<ApiKeyRecord & { keyHash: string }>,
  announced: ReadonlySet<string>,
): IdentityEvent[] {
  const keysByTeam = new Map<string, Array<ApiKeyRecord & { keyHash: string }>>();
  for (const k of keys) keysByTeam.set(k.teamId, [...(keysByTeam.get(k.teamId) ?? []), k]);
  const all: IdentityEvent[] = [];
  for (const team of teams) {
    const own = keysByTeam.get(team.id) ?? [];
    all.push(teamCreated(team));
    for (const k of own) all.push(keyIssued(k, k.keyHash));
    all.push(...revocations(team, own));
  }
  return all.filter((e) => !announced.has(e.id));
}
