import type { Config } from './config';

/**
 * Who is "inside" for zero trust: the organization's accounts (from Organizations, cached by the
 * adapter) plus `trustedAccounts` from config. Service principals are inside only when a source
 * condition pins them to these accounts or this organization (see policy/).
 */
export interface TrustZone {
  organizationId?: string;
  accounts: ReadonlySet<string>;
}

/** What the Organizations adapter knows; empty when it could not be read (config still applies). */
export interface OrganizationInfo {
  organizationId?: string;
  accounts: readonly string[];
  /** Account id → its name in Organizations, for people reading alerts and tickets. */
  accountNames?: Readonly<Record<string, string>>;
}

/** "111122223333 (payments-prod)" when the organization names the account, else the id. */
export function accountLabel(event: { account: string; accountName?: string }): string {
  return event.accountName ? `${event.account} (${event.accountName})` : event.account;
}

export function trustZoneOf(config: Config, organization: OrganizationInfo = { accounts: [] }): TrustZone {
  const organizationId = config.organizationId ?? organization.organizationId;
  return {
    ...(organizationId ? { organizationId } : {}),
    accounts: new Set([...organization.accounts, ...config.trustedAccounts]),
  };
}
