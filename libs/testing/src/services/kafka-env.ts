import { randomBytes } from 'node:crypto';

/** Brokers of the shared integration-test Kafka (`SLUICE_TEST_KAFKA_BROKERS`, comma separated). */
export function requireKafkaBrokers(): string[] {
  const brokers = (process.env.SLUICE_TEST_KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0) {
    // Integration tests fail, never skip, without their services: a silent skip hides a broken CI.
    throw new Error(
      'SLUICE_TEST_KAFKA_BROKERS is not set: integration tests need a real Kafka broker. Run them with ' +
        '`npm test` (it starts scripts/services/kafka.sh) or export the list printed by `scripts/services/kafka.sh start`.',
    );
  }
  return brokers;
}

/**
 * A topic name no other test (file, run or process) uses, so tests sharing one broker never see
 * each other's messages. Kafka allows [a-zA-Z0-9._-], at most 249 characters.
 */
export function uniqueTopic(prefix: string): string {
  const clean = prefix.replace(/[^a-zA-Z0-9._-]+/g, '-').slice(0, 100) || 'test';
  return `${clean}-${Date.now().toString(36)}-${process.pid}-${randomBytes(4).toString('hex')}`;
}
