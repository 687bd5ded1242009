export * from './common';
export * from './content';
export * from './request';
export * from './response';
export * from './stream';
export * from './error';
export * from './codec';
