import type { TrustZone, ZoneSnapshot } from '@driftguard/core';
import { zoneOfOperation } from '@driftguard/core';
import type { ExecutorContext } from './index';

/**
 * The trust zone a policy revert re-judges live state with: the plan's snapshot of it, config, and
 * the organization's accounts when the executor can read them (a failed read leaves the plan's zone).
 */
export async function revertTrustZone(
  operation: { zone: ZoneSnapshot },
  context: ExecutorContext,
): Promise<TrustZone> {
  const organization = context.organization ? await context.organization().catch(() => undefined) : undefined;
  return zoneOfOperation(operation.zone, context.config, organization);
}
