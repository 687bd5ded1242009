export * from './mock-upstream';
export * from './services';
export { ServiceProcess, type ServiceName } from './processes/service-process';
export { waitFor } from './processes/wait-for';
export { seeded, type Rng } from './seeded';
