import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  accountClients,
  accountCredentials,
  clientConfig,
  isolationStoreForTable,
  restoreIsolation,
} from '@driftguard/aws';
import type { Config } from '@driftguard/core';
import { EXIT, UsageError } from './errors';
import { dim, green, red } from './format';

export interface RestoreIsolationOptions {
  config: Config;
  /** The instance's account; default: the account of the current credentials. */
  account?: string;
  /** The instance's region; default: AWS_REGION. */
  region?: string;
  /** The state table; default: DRIFTGUARD_TABLE. */
  table?: string;
  env?: NodeJS.ProcessEnv;
  out?: NodeJS.WritableStream;
}

/**
 * `driftguard restore-isolation <instance>`: puts the security groups an instance had before the
 * GuardDuty isolate playbook back on each of its network interfaces, as recorded in the state
 * table, removes the isolation tags and verifies by re-reading. Acts in the instance's account
 * through the remediation role (or the current credentials in their own account).
 */
export async function restoreIsolationCommand(
  instanceId: string,
  options: RestoreIsolationOptions,
): Promise<number> {
  const env = options.env ?? process.env;
  const out = options.out ?? process.stdout;
  if (!/^i-[0-9a-f]{8,17}$/.test(instanceId))
    throw new UsageError(`"${instanceId}" is not an EC2 instance id (i-…)`);
  if (options.account !== undefined && !/^\d{12}$/.test(options.account))
    throw new UsageError(`--account must be a 12-digit account id, got "${options.account}"`);
  const table = options.table ?? env.DRIFTGUARD_TABLE;
  if (!table) {
    throw new UsageError(
      'no state table: pass --table <name> or set DRIFTGUARD_TABLE (the table driftguard recorded the isolation in)',
    );
  }
  const home = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const region = options.region ?? home;
  if (!region) throw new UsageError('no region: pass --region or set AWS_REGION');
  const endpoint = env.AWS_ENDPOINT_URL;
  const sts = new STSClient(clientConfig({ region, endpoint }));
  const account = options.account ?? (await sts.send(new GetCallerIdentityCommand({}))).Account;
  if (!account) throw new UsageError('cannot tell the account of the current credentials: pass --account');
  // The state table lives in driftguard's own region, which need not be the instance's.
  const tableRegion = env.DRIFTGUARD_TABLE_REGION ?? home ?? region;
  const credentialsFor = accountCredentials({
    sts,
    roleName: options.config.remediationRoleName,
    ...(options.config.externalId ? { externalId: options.config.externalId } : {}),
  });
  const result = await restoreIsolation({
    clients: accountClients({ credentialsFor, ...(endpoint ? { endpoint } : {}) }),
    isolations: isolationStoreForTable(table, { region: tableRegion, endpoint }),
    target: { account, region },
    instanceId,
  });
  if (!result.ok) {
    out.write(`${red('✘')} ${instanceId} not restored: ${result.reason}\n`);
    return EXIT.violations;
  }
  out.write(
    `isolated ${result.record.isolatedAt} by GuardDuty finding ${result.record.findingId} (${result.record.findingType})\n`,
  );
  for (const entry of result.restored)
    out.write(
      `  ${entry.networkInterfaceId}: ${result.record.quarantineGroupId} → ${entry.groups.join(', ')}\n`,
    );
  for (const note of result.notes) out.write(dim(`  note: ${note}\n`));
  out.write(
    `${green('✔')} ${instanceId} restored and verified (${result.restored.length} interface(s)); the quarantine group ${result.record.quarantineGroupId} is kept for reuse\n`,
  );
  return EXIT.ok;
}
