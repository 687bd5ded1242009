export { envelopeSchema, makeEnvelope, newEventId, type EventEnvelope } from './envelope';
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
} from './transport';
export { InProcessTransport } from './in-process.transport';
export { KafkaTransport, decodeEnvelope, type KafkaTransportOptions } from './kafka.transport';
export { Outbox, type OutboxOptions } from './outbox';
