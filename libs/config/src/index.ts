export * from './config';
export * from './routing';
