export * from './describer';
export * from './run';
