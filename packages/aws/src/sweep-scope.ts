import { EC2Client } from '@aws-sdk/client-ec2';
import type { OrganizationInfo } from '@driftguard/core';
import { clientConfig } from './clients';
import { errorMessage, SweepScopeError } from './errors';
import { enabledRegions } from './regions';

const ACCOUNT = /^\d{12}$/;

/**
 * The accounts and regions a sweep covers: as given, else the organization's accounts (read from
 * Organizations: the management or a delegated administrator account) and the regions enabled
 * where driftguard runs.
 */
export async function resolveSweepScope(input: {
  accounts?: readonly string[];
  regions?: readonly string[];
  organization?: () => Promise<OrganizationInfo>;
  ec2: () => EC2Client;
}): Promise<{ accounts: string[]; regions: string[] }> {
  const bad = (input.accounts ?? []).filter((account) => !ACCOUNT.test(account));
  if (bad.length > 0) throw new SweepScopeError(`not 12-digit account ids: ${bad.join(', ')}`);
  let accounts = input.accounts ? [...input.accounts] : undefined;
  if (!accounts) {
    const organization = input.organization ? await input.organization() : undefined;
    accounts = [...(organization?.accounts ?? [])].sort();
    if (accounts.length === 0) {
      throw new SweepScopeError(
        'no accounts to sweep: Organizations could not be read here (run from the management or a delegated administrator account), so pass them (--accounts / DRIFTGUARD_SWEEP_ACCOUNTS)',
      );
    }
  }
  let regions = input.regions ? [...input.regions] : undefined;
  if (!regions) {
    try {
      regions = await enabledRegions(input.ec2());
    } catch (error) {
      throw new SweepScopeError(
        `cannot list the enabled regions (${errorMessage(error)}): pass them (--regions / DRIFTGUARD_SWEEP_REGIONS)`,
        { cause: error },
      );
    }
    if (regions.length === 0) throw new SweepScopeError('no enabled regions found: pass --regions');
  }
  return { accounts, regions };
}

/** An EC2 client where driftguard runs, for listing its enabled regions (AWS_ENDPOINT_URL honoured). */
export function homeEc2(env: { AWS_REGION?: string; AWS_ENDPOINT_URL?: string }): () => EC2Client {
  return () =>
    new EC2Client(clientConfig({ region: env.AWS_REGION ?? 'us-east-1', endpoint: env.AWS_ENDPOINT_URL }));
}
