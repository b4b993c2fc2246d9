export * from './plan';
export * from './runtime';
export * from './work-queue';
export * from './worker';
