export { envelopeSchema, makeEnvelope, newEventId, type EventEnvelope } from './envelope';
export { uuidv7 } from './uuid7';
export { isoTime } from './iso-time';
export {
  USAGE_RECORDED_V1,
  usageRecordedV1Schema,
  normalizedUsageSchema,
  firewallFindingSummarySchema,
  ZERO_USAGE,
  type NormalizedUsage,
  type UsageRecordedV1,
  type UsageRecordedEvent,
} from './usage-recorded';
export {
  TOPICS,
  type EventTransport,
  type DeliveredEvent,
  type BatchHandler,
  type SubscribeOptions,
  type Subscription,
  type TextRecord,
} from './transport';
export { InProcessTransport } from './in-process.transport';
export { KafkaTransport, decodeEnvelope, type KafkaTransportOptions } from './kafka.transport';
export { Outbox, type OutboxOptions } from './outbox';
export {
  IDENTITY_TEAM_CREATED_V1,
  IDENTITY_TEAM_DISABLED_V1,
  IDENTITY_API_KEY_ISSUED_V1,
  IDENTITY_API_KEY_REVOKED_V1,
  API_KEY_SCOPES,
  identityEventSchemas,
  identityEventId,
  identityTopicFor,
  teamCreatedV1Schema,
  teamDisabledV1Schema,
  apiKeyIssuedV1Schema,
  apiKeyRevokedV1Schema,
  type ApiKeyScope,
  type IdentityEvent,
  type IdentityEventType,
  type TeamCreatedV1,
  type TeamDisabledV1,
  type ApiKeyIssuedV1,
  type ApiKeyRevokedV1,
} from './identity-events';
