import { ListParentsCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import type { AccountPlacement } from '@driftguard/core';
import { errorMessage } from './errors';

export interface PlacementReaderOptions {
  organizations: OrganizationsClient;
  /** How long an account's OU path is trusted before it is read again (accounts move rarely). */
  ttlMs?: number;
  now?: () => number;
  onError?: (message: string) => void;
}

/** OUs nest at most five deep under the root; a longer walk means something is wrong. */
const MAX_DEPTH = 8;

/**
 * An account's OUs, nearest first, then the root: ListParents from the account up to the root
 * (management or delegated-admin account), cached per account and per OU. When Organizations
 * cannot be read the last good answer is kept; with none the result is undefined, and the
 * decision says that OU overrides were not considered.
 */
export function accountPlacementReader(
  options: PlacementReaderOptions,
): (account: string) => Promise<AccountPlacement | undefined> {
  const ttl = options.ttlMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  const parents = new Map<string, { at: number; parent: { id: string; root: boolean } }>();
  const placements = new Map<string, { at: number; placement: AccountPlacement }>();

  const parentOf = async (child: string) => {
    const cached = parents.get(child);
    if (cached && now() - cached.at < ttl) return cached.parent;
    const { Parents } = await options.organizations.send(new ListParentsCommand({ ChildId: child }));
    const first = Parents?.[0];
    if (!first?.Id) throw new Error(`ListParents returned no parent for ${child}`);
    const parent = { id: first.Id, root: first.Type === 'ROOT' };
    parents.set(child, { at: now(), parent });
    return parent;
  };

  return async (account) => {
    const cached = placements.get(account);
    if (cached && now() - cached.at < ttl) return cached.placement;
    try {
      const organizationalUnits: string[] = [];
      let child = account;
      for (let depth = 0; depth < MAX_DEPTH; depth++) {
        const parent = await parentOf(child);
        organizationalUnits.push(parent.id);
        if (parent.root) break;
        child = parent.id;
      }
      const placement = { account, organizationalUnits };
      placements.set(account, { at: now(), placement });
      return placement;
    } catch (error) {
      options.onError?.(`cannot read the OUs of account ${account}: ${errorMessage(error)}`);
      return cached?.placement;
    }
  };
}
