import type { Config } from '../config';
import type { ZoneSnapshot } from '../operations';
import type { OrganizationInfo, TrustZone } from '../trust-zone';

/**
 * What a revert carries of the trust zone it was judged in: the organization and the zone accounts
 * the evaluated document named, so that the executor re-checks live state against the same zone.
 */
export function zoneSnapshot(trustZone: TrustZone, accounts: string[]): ZoneSnapshot {
  return {
    ...(trustZone.organizationId ? { organizationId: trustZone.organizationId } : {}),
    accounts,
  };
}

/**
 * The trust zone a revert re-checks with: the operation's snapshot of it, config, and the
 * organization's accounts when the executor can read them.
 */
export function zoneOfOperation(
  zone: ZoneSnapshot,
  config: Config,
  organization?: OrganizationInfo,
): TrustZone {
  const organizationId = zone.organizationId ?? config.organizationId ?? organization?.organizationId;
  return {
    ...(organizationId ? { organizationId } : {}),
    accounts: new Set([...zone.accounts, ...config.trustedAccounts, ...(organization?.accounts ?? [])]),
  };
}
