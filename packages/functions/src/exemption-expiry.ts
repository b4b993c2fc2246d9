import { Logger } from '@aws-lambda-powertools/logger';
import { CONFIG_REJECTED_MESSAGE, checkExpiredExemptions, runtimeLoader } from '@driftguard/aws';
import { REQUIRED_SETTINGS, requireSettings } from './required-settings';

// Before anything is wired: a function missing its table, topic or queue does not start.
requireSettings('driftguard-exemption-expiry', REQUIRED_SETTINGS.exemptionExpiry);
const logger = new Logger({ serviceName: 'driftguard-exemption-expiry' });
const loadRuntime = runtimeLoader(process.env, {
  onConfigRejected: (reason) => logger.error(CONFIG_REJECTED_MESSAGE, { reason }),
  logger,
});

/**
 * Scheduled (every few minutes): for each ended exemption, re-reads the live state of each resource
 * it let through (sweep describers) and runs it through the same pipeline as the evaluate function;
 * announces the end. Stored event text is never replayed. A re-run that fails leaves the
 * exemption due, so the next run tries again; the function fails so the failure alarms.
 */
export async function handler(): Promise<{ checked: number; incomplete: number }> {
  const runtime = await loadRuntime();
  if (!runtime.exemptions) {
    logger.info('exemptions are disabled (or DRIFTGUARD_TABLE is unset): nothing to check');
    return { checked: 0, incomplete: 0 };
  }
  if (!runtime.clients) throw new Error('driftguard runtime has no per-account clients');
  const checks = await checkExpiredExemptions({
    exemptions: runtime.exemptions,
    pipeline: runtime.pipeline,
    clients: runtime.clients,
    config: runtime.config,
    ...(runtime.announce ? { announce: runtime.announce } : {}),
    warn: (message) => logger.warn(message),
  });
  for (const check of checks)
    logger.info('exemption re-checked', {
      id: check.exemption.id,
      complete: check.complete,
      rechecked: check.rechecked,
    });
  const incomplete = checks.filter((check) => !check.complete).length;
  if (incomplete > 0)
    throw new Error(`${incomplete} exemption re-check(s) incomplete; they are retried on the next run`);
  return { checked: checks.length, incomplete };
}
