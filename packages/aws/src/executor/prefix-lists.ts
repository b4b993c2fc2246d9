import { EC2Client, ModifyManagedPrefixListCommand } from '@aws-sdk/client-ec2';
import {
  cidrOutsideTrusted,
  type Lookup,
  type OperationResult,
  type PrefixListFact,
  type RemoveManagedPrefixListEntries,
} from '@driftguard/core';
import { readPrefixList } from '../live-facts';
import type { ExecutorContext } from './index';
import { alreadyCompliant, applied, failed } from './results';

/** ModifyManagedPrefixList applies asynchronously: how long the verification waits for it. */
const SETTLE_READS = 10;
const SETTLE_DELAY_MS = 500;

const inProgress = (lookup: Lookup<PrefixListFact>) =>
  lookup.status === 'found' && (lookup.value.state ?? '').endsWith('-in-progress');

async function settledRead(ec2: EC2Client, prefixListId: string): Promise<Lookup<PrefixListFact>> {
  let lookup = await readPrefixList(ec2, prefixListId);
  for (let read = 1; read < SETTLE_READS && inProgress(lookup); read += 1) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_DELAY_MS));
    lookup = await readPrefixList(ec2, prefixListId);
  }
  return lookup;
}

/**
 * verify → act → verify for managed-prefix-list: re-read the list, remove only the targeted
 * entries still present and still outside the trusted networks (never an entry the call did not
 * add), naming the version just read so that a concurrent edit fails the call instead of being
 * overwritten, then re-read the entries to prove they are gone.
 */
export async function removeManagedPrefixListEntries(
  operation: RemoveManagedPrefixListEntries,
  { clients, config }: ExecutorContext,
): Promise<OperationResult> {
  const { PrefixListId, Cidrs } = operation.input;
  const ec2 = await clients.get(EC2Client, operation.target);
  const before = await settledRead(ec2, PrefixListId);
  if (before.status === 'missing') {
    return alreadyCompliant(operation, `${PrefixListId} no longer exists`);
  }
  const trusted = config.rules['sg-open-ingress'].trustedPrefixLists.includes(PrefixListId);
  const remove = trusted
    ? []
    : before.value.cidrs.filter(
        (cidr) => Cidrs.includes(cidr) && cidrOutsideTrusted(cidr, config.trustedCidrs),
      );
  if (remove.length === 0) {
    return alreadyCompliant(
      operation,
      `no targeted entry outside the trusted networks left in ${PrefixListId}`,
    );
  }
  await ec2.send(
    new ModifyManagedPrefixListCommand({
      PrefixListId,
      ...(before.value.version !== undefined ? { CurrentVersion: before.value.version } : {}),
      RemoveEntries: remove.map((Cidr) => ({ Cidr })),
    }),
  );
  const after = await settledRead(ec2, PrefixListId);
  const remaining = after.status === 'found' ? after.value.cidrs.filter((cidr) => remove.includes(cidr)) : [];
  if (remaining.length > 0) {
    return failed(operation, `re-read of ${PrefixListId} still shows ${remaining.join(', ')}`);
  }
  return applied(
    operation,
    `removed ${remove.join(', ')} from ${PrefixListId} (was version ${before.value.version ?? '?'})`,
    remove,
  );
}
