export { planSweep } from './plan';
export { type SweepEnv, sweepRuntimeFromEnv } from './runtime';
export { sweepWorker } from './worker';
