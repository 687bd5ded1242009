export { openMigratedDatabase, createKafkaTransport, newInstanceId, stopOnSignals } from './boot';
export { startServiceServer, type ServiceDeps, type ServiceServer } from './service-server';
