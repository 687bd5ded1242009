// Helpers for integration tests that run against the real services of scripts/services/.
export {
  createTestDatabase,
  requireTestDatabaseUrl,
  uniqueDatabaseName,
  type TestDatabase,
} from './test-database';
export { requireKafkaBrokers, uniqueTopic } from './kafka-env';
export { KafkaBroker, type KafkaBrokerOptions } from './kafka-broker';
