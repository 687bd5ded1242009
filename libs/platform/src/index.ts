export { openMigratedDatabase, createKafkaTransport, newInstanceId, stopOnSignals } from './boot';
