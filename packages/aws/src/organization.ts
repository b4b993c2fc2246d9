import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import type { OrganizationInfo } from '@driftguard/core';
import { errorMessage } from './errors';

export interface OrganizationReaderOptions {
  organizations: OrganizationsClient;
  /** How long the account list is trusted before it is read again. */
  ttlMs?: number;
  now?: () => number;
  onError?: (message: string) => void;
}

/**
 * The organization's accounts, read from Organizations (management or delegated-admin account)
 * and cached: a new account is in the trust zone within one TTL. If Organizations cannot be read
 * the last good answer is kept; with none, the zone is config's `trustedAccounts` only — which is
 * stricter, never looser.
 */
export function organizationReader(options: OrganizationReaderOptions): () => Promise<OrganizationInfo> {
  const ttl = options.ttlMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  let cached: { at: number; info: OrganizationInfo } | undefined;
  let inFlight: Promise<OrganizationInfo> | undefined;

  const read = async (): Promise<OrganizationInfo> => {
    const accounts: string[] = [];
    const accountNames: Record<string, string> = {};
    let NextToken: string | undefined;
    do {
      const page = await options.organizations.send(new ListAccountsCommand({ NextToken }));
      for (const account of page.Accounts ?? []) {
        if (!account.Id) continue;
        accounts.push(account.Id);
        if (account.Name) accountNames[account.Id] = account.Name;
      }
      NextToken = page.NextToken;
    } while (NextToken);
    const { Organization } = await options.organizations.send(new DescribeOrganizationCommand({}));
    return { ...(Organization?.Id ? { organizationId: Organization.Id } : {}), accounts, accountNames };
  };

  return async () => {
    if (cached && now() - cached.at < ttl) return cached.info;
    inFlight ??= read()
      .then((info) => {
        cached = { at: now(), info };
        return info;
      })
      .catch((error: unknown) => {
        options.onError?.(`cannot read the organization's accounts: ${errorMessage(error)}`);
        return cached?.info ?? { accounts: [] };
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
