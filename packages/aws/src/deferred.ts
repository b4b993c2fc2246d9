import type { Executor } from './executor';
import type { Notifier } from './notifications';

/**
 * Code most events never run — the executor's playbooks, the Security Hub export — is loaded on
 * its first use through a dynamic `import()`, so it stays out of the evaluate function's cold
 * start (infra/bundling.ts turns on SST's `splitting`: each dynamic import is a chunk of its own).
 * The first revert or finding of a container pays the import once (README, Benchmarks).
 */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      // A failed load is tried again by the next caller rather than remembered.
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

/** An executor whose handlers are imported on the first operation. */
export function deferredExecutor(load: () => Promise<Executor>): Executor {
  const executor = once(load);
  return async (operation, beforeAct) => (await executor())(operation, beforeAct);
}

/** A notifier imported on its first report (its channel and phase are known up front, for routing). */
export function deferredNotifier(
  channel: string,
  load: () => Promise<Notifier>,
  phase?: Notifier['phase'],
): Notifier {
  const notifier = once(load);
  return {
    channel,
    ...(phase ? { phase } : {}),
    notify: async (report) => (await notifier()).notify(report),
  };
}
