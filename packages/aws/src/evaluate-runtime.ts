/**
 * What the evaluate function imports, without the package's barrel: the barrel also re-exports the
 * executor and the Security Hub exporter, and a static import of it would put them back into the
 * function's cold start. Those load on first use (deferred.ts); esbuild's code splitting follows
 * files, so only a module that does not reach them keeps them out of the entry chunk.
 */
export { CONFIG_REJECTED_MESSAGE } from './config-parameter';
export { DriftguardError, errorMessage, InvalidEventError } from './errors';
export type { Runtime } from './runtime';
export { runtimeLoader } from './runtime-loader';
