import { v5 as uuidv5 } from 'uuid';
import { z } from 'zod';
import type { EventEnvelope } from './envelope';

/**
 * Identity facts the gateway (which owns teams and keys) announces to the other services, so they can
 * authenticate team keys without reading the gateway's tables (docs/ledger-design.md, "Keys on the
 * ledger"). A key travels only as its SHA-256 hash; the clear key never leaves the creation response.
 * The subject is the team id: one team's events keep their order on the topic.
 */
export const IDENTITY_TEAM_CREATED_V1 = 'identity.team.created.v1';
export const IDENTITY_TEAM_DISABLED_V1 = 'identity.team.disabled.v1';
export const IDENTITY_API_KEY_ISSUED_V1 = 'identity.api_key.issued.v1';
export const IDENTITY_API_KEY_REVOKED_V1 = 'identity.api_key.revoked.v1';

/** What a team key may do. Every key issued today has both; the ledger admits keys with `ledger:read`. */
export const API_KEY_SCOPES = ['gateway', 'ledger:read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

const iso = z.string().datetime({ offset: true });

export const teamCreatedV1Schema = z.object({ teamId: z.string().min(1), name: z.string(), createdAt: iso });
export const teamDisabledV1Schema = z.object({ teamId: z.string().min(1), disabledAt: iso });
export const apiKeyIssuedV1Schema = z.object({
  keyId: z.string().min(1),
  teamId: z.string().min(1),
  name: z.string(),
  /** Hex SHA-256 of the key (`hashApiKey`), never the key. */
  keyHash: z.string().regex(/^[0-9a-f]{64}$/),
  keyPrefix: z.string(),
  scopes: z.array(z.string().min(1)),
  issuedAt: iso,
});
export const apiKeyRevokedV1Schema = z.object({
  keyId: z.string().min(1),
  teamId: z.string().min(1),
  revokedAt: iso,
});

export type TeamCreatedV1 = z.infer<typeof teamCreatedV1Schema>;
export type TeamDisabledV1 = z.infer<typeof teamDisabledV1Schema>;
export type ApiKeyIssuedV1 = z.infer<typeof apiKeyIssuedV1Schema>;
export type ApiKeyRevokedV1 = z.infer<typeof apiKeyRevokedV1Schema>;

export type IdentityEvent =
  | EventEnvelope<typeof IDENTITY_TEAM_CREATED_V1, TeamCreatedV1>
  | EventEnvelope<typeof IDENTITY_TEAM_DISABLED_V1, TeamDisabledV1>
  | EventEnvelope<typeof IDENTITY_API_KEY_ISSUED_V1, ApiKeyIssuedV1>
  | EventEnvelope<typeof IDENTITY_API_KEY_REVOKED_V1, ApiKeyRevokedV1>;
export type IdentityEventType = IdentityEvent['type'];

export const identityEventSchemas = {
  [IDENTITY_TEAM_CREATED_V1]: teamCreatedV1Schema,
  [IDENTITY_TEAM_DISABLED_V1]: teamDisabledV1Schema,
  [IDENTITY_API_KEY_ISSUED_V1]: apiKeyIssuedV1Schema,
  [IDENTITY_API_KEY_REVOKED_V1]: apiKeyRevokedV1Schema,
} as const;

/** Fixed forever: changing it would re-announce every team and key under new ids. */
const IDENTITY_EVENT_NAMESPACE = '6f1d3c0e-8a52-4c1b-9f3e-2b7d51c4a9e0';

/**
 * Each identity fact happens at most once per team or key (created, disabled, issued, revoked), so
 * its event id is derived from (type, entity id): the live path and the start-up backfill mint the
 * same id for the same fact, and consumers dedupe them like any redelivery.
 */
export function identityEventId(type: IdentityEventType, entityId: string): string {
  return uuidv5(`${type}\u0000${entityId}`, IDENTITY_EVENT_NAMESPACE);
}

/**
 * The identity topic, named after the usage topic (`usage` becomes `identity`, or `.identity` is
 * appended), so a deployment or test that isolates its usage topic isolates its identity topic too.
 * Default: `sluice.identity.v1`.
 */
export function identityTopicFor(usageTopic: string): string {
  return usageTopic.includes('usage') ? usageTopic.replace('usage', 'identity') : `${usageTopic}.identity`;
}
