import {
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type Instance,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  type NetworkInterface,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import {
  ISOLATION_TAGS,
  type IsolateEc2Instance,
  type OperationResult,
  QUARANTINE_GROUP_NAME,
  type Target,
} from '@driftguard/core';
import { awsErrorCode } from '../../errors';
import type { IsolationRecord, IsolationStore } from '../../store/isolations';
import type { AccountClients, ExecutorContext } from '../index';
import { alreadyCompliant, applied, failed } from '../results';
import { groupRules } from '../security-groups';

const GONE = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);

async function describeInstance(ec2: EC2Client, instanceId: string): Promise<Instance | undefined> {
  try {
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return Reservations?.flatMap((reservation) => reservation.Instances ?? [])[0];
  } catch (error) {
    if (GONE.has(awsErrorCode(error) ?? '')) return undefined;
    throw error;
  }
}

/** The instance's network interfaces with their live groups (the instance view can lag). */
async function interfacesOf(ec2: EC2Client, instanceId: string): Promise<NetworkInterface[]> {
  const { NetworkInterfaces } = await ec2.send(
    new DescribeNetworkInterfacesCommand({
      Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }],
    }),
  );
  return (NetworkInterfaces ?? []).filter((eni) => eni.NetworkInterfaceId);
}

/**
 * Sets an interface's groups. For the primary interface the instance-level attribute is set too:
 * in AWS both name the same groups (ModifyInstanceAttribute Groups changes the primary interface,
 * so the second call is a no-op), while emulators such as moto keep the instance's groups apart and
 * report them on every interface.
 */
async function setGroups(ec2: EC2Client, instanceId: string, eni: NetworkInterface, groups: string[]) {
  await ec2.send(
    new ModifyNetworkInterfaceAttributeCommand({
      NetworkInterfaceId: eni.NetworkInterfaceId,
      Groups: groups,
    }),
  );
  if (eni.Attachment?.DeviceIndex === 0)
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, Groups: groups }));
}

const groupIds = (eni: NetworkInterface) =>
  (eni.Groups ?? []).map((group) => group.GroupId).filter((id): id is string => id !== undefined);

const isQuarantined = (eni: NetworkInterface, quarantineId: string) => {
  const ids = groupIds(eni);
  return ids.length === 1 && ids[0] === quarantineId;
};

const isOurs = (group: SecurityGroup) =>
  (group.Tags ?? []).some((tag) => tag.Key === ISOLATION_TAGS.quarantine && tag.Value === 'true');

async function findQuarantineGroup(ec2: EC2Client, vpcId: string): Promise<SecurityGroup | undefined> {
  const { SecurityGroups } = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'group-name', Values: [QUARANTINE_GROUP_NAME] },
      ],
    }),
  );
  return SecurityGroups?.find((group) => group.VpcId === vpcId && group.GroupName === QUARANTINE_GROUP_NAME);
}

/**
 * The VPC's quarantine group: found by name and driftguard's tag, created when missing (a
 * concurrent creation is tolerated), and stripped of every rule, including the allow-all egress
 * EC2 gives every new group. A same-named group without the tag is someone else's: never used.
 */
export async function ensureQuarantineGroup(
  ec2: EC2Client,
  vpcId: string,
): Promise<{ id: string; created: boolean }> {
  let group = await findQuarantineGroup(ec2, vpcId);
  let created = false;
  if (!group) {
    try {
      await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: QUARANTINE_GROUP_NAME,
          Description: 'driftguard quarantine: no ingress, no egress (GuardDuty isolate playbook)',
          VpcId: vpcId,
          TagSpecifications: [
            {
              ResourceType: 'security-group',
              Tags: [
                { Key: ISOLATION_TAGS.quarantine, Value: 'true' },
                { Key: 'Name', Value: QUARANTINE_GROUP_NAME },
              ],
            },
          ],
        }),
      );
      created = true;
    } catch (error) {
      if (awsErrorCode(error) !== 'InvalidGroup.Duplicate') throw error;
    }
    group = await findQuarantineGroup(ec2, vpcId);
  }
  if (!group?.GroupId)
    throw new Error(`quarantine group ${QUARANTINE_GROUP_NAME} in ${vpcId} could not be read back`);
  if (!isOurs(group)) {
    throw new Error(
      `a group named ${QUARANTINE_GROUP_NAME} exists in ${vpcId} (${group.GroupId}) without the tag ${ISOLATION_TAGS.quarantine}=true: refusing to use a group driftguard did not create`,
    );
  }
  const groupId = group.GroupId;
  await stripRules(ec2, groupId);
  return { id: groupId, created };
}

/**
 * Revokes every rule of the quarantine group. Two isolations in one VPC at once (two findings on
 * one instance, or a finding and its update) strip the same new group: a rule the other run already
 * revoked is gone, which is the goal; the rules are read again to be sure none is left.
 */
async function stripRules(ec2: EC2Client, groupId: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const rules = await groupRules(ec2, groupId);
    const egress = rules.filter((rule) => rule.IsEgress).map((rule) => rule.SecurityGroupRuleId as string);
    const ingress = rules.filter((rule) => !rule.IsEgress).map((rule) => rule.SecurityGroupRuleId as string);
    if (egress.length === 0 && ingress.length === 0) return;
    try {
      if (egress.length > 0)
        await ec2.send(
          new RevokeSecurityGroupEgressCommand({ GroupId: groupId, SecurityGroupRuleIds: egress }),
        );
      if (ingress.length > 0)
        await ec2.send(
          new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ingress }),
        );
      return;
    } catch (error) {
      if (awsErrorCode(error) !== 'InvalidPermission.NotFound') throw error;
    }
  }
  const left = await groupRules(ec2, groupId);
  if (left.length > 0)
    throw new Error(`quarantine group ${groupId} still has ${left.length} rule(s) after revoking them`);
}

/**
 * The groups to record before isolating. An interface already in quarantine keeps the groups an
 * earlier (unfinished or repeated) isolation recorded for it, so a second run never overwrites
 * the real previous groups with the quarantine group.
 */
function previousGroups(
  enis: NetworkInterface[],
  quarantineId: string,
  existing: IsolationRecord | undefined,
): IsolationRecord['interfaces'] {
  const earlier = existing?.status === 'isolated' ? existing.interfaces : [];
  return enis.map((eni) => {
    const id = eni.NetworkInterfaceId as string;
    const recorded = earlier.find((entry) => entry.networkInterfaceId === id);
    if (isQuarantined(eni, quarantineId) && recorded) return recorded;
    return { networkInterfaceId: id, groups: groupIds(eni) };
  });
}

/**
 * verify → act → verify for the EC2 isolate playbook: re-read the instance and its interfaces,
 * record the previous groups, put every interface in the VPC's quarantine group, tag the
 * instance, and re-read the interfaces and the quarantine group to prove it.
 */
export async function isolateEc2Instance(
  operation: IsolateEc2Instance,
  { clients, isolations, now }: ExecutorContext,
): Promise<OperationResult> {
  const instanceId = operation.input.InstanceId;
  const ec2 = await clients.get(EC2Client, operation.target);
  const instance = await describeInstance(ec2, instanceId);
  const state = instance?.State?.Name;
  if (!instance || state === 'terminated' || state === 'shutting-down') {
    return alreadyCompliant(
      operation,
      `instance ${instanceId} ${instance ? `is ${state}` : 'no longer exists'}: nothing to isolate`,
    );
  }
  if (!instance.VpcId)
    throw new Error(`instance ${instanceId} is not in a VPC: cannot isolate with security groups`);
  if (!isolations) {
    throw new Error(
      'no state table configured (DRIFTGUARD_TABLE): refusing to isolate without recording the previous groups',
    );
  }
  const quarantine = await ensureQuarantineGroup(ec2, instance.VpcId);
  const enis = await interfacesOf(ec2, instanceId);
  if (enis.length === 0) throw new Error(`instance ${instanceId} has no network interface to isolate`);
  const pending = enis.filter((eni) => !isQuarantined(eni, quarantine.id));
  const { account, region } = operation.target;
  const existing = await isolations.get(account, region, instanceId);
  const isolatedAt = new Date((now ?? Date.now)()).toISOString();
  // Nothing to move: never write a record whose "previous" groups are the quarantine group itself.
  if (pending.length > 0) {
    // Recorded before acting: a failure half-way still leaves the groups to restore.
    await isolations.put({
      account,
      region,
      instanceId,
      vpcId: instance.VpcId,
      quarantineGroupId: quarantine.id,
      interfaces: previousGroups(enis, quarantine.id, existing),
      findingId: operation.finding.id,
      findingType: operation.finding.type,
      isolatedAt: existing?.status === 'isolated' ? existing.isolatedAt : isolatedAt,
      status: 'isolated',
    });
  }
  for (const eni of pending) await setGroups(ec2, instanceId, eni, [quarantine.id]);
  const tagged = (instance.Tags ?? []).some(
    (tag) => tag.Key === ISOLATION_TAGS.finding && tag.Value === operation.finding.id,
  );
  if (pending.length > 0 || !tagged) {
    await ec2.send(
      new CreateTagsCommand({
        Resources: [instanceId],
        Tags: [
          { Key: ISOLATION_TAGS.finding, Value: operation.finding.id },
          { Key: ISOLATION_TAGS.at, Value: isolatedAt },
        ],
      }),
    );
  }
  // Verify: every interface in quarantine only, the quarantine group without any rule, the tag set.
  const after = await interfacesOf(ec2, instanceId);
  const open = after.filter((eni) => !isQuarantined(eni, quarantine.id));
  const rules = await groupRules(ec2, quarantine.id);
  const instanceAfter = await describeInstance(ec2, instanceId);
  const tagAfter = (instanceAfter?.Tags ?? []).some(
    (tag) => tag.Key === ISOLATION_TAGS.finding && tag.Value === operation.finding.id,
  );
  if (open.length > 0 || rules.length > 0 || !tagAfter) {
    return failed(
      operation,
      [
        open.length > 0
          ? `re-read shows ${open.map((eni) => `${eni.NetworkInterfaceId} in ${groupIds(eni).join(',')}`).join('; ')}`
          : '',
        rules.length > 0 ? `quarantine group ${quarantine.id} still has ${rules.length} rule(s)` : '',
        tagAfter ? '' : `tag ${ISOLATION_TAGS.finding} missing on ${instanceId}`,
      ]
        .filter(Boolean)
        .join('; '),
    );
  }
  if (pending.length === 0) {
    return alreadyCompliant(operation, `instance ${instanceId} already isolated in ${quarantine.id}`);
  }
  return applied(
    operation,
    `instance ${instanceId} isolated: ${pending.length} interface(s) moved to quarantine group ${quarantine.id}${quarantine.created ? ' (created)' : ''}; previous groups recorded`,
    pending.map(
      (eni) => `${eni.NetworkInterfaceId}: ${groupIds(eni).join(',') || '(none)'} → ${quarantine.id}`,
    ),
  );
}

export type RestoreIsolationResult =
  | {
      ok: true;
      restored: { networkInterfaceId: string; groups: string[] }[];
      notes: string[];
      record: IsolationRecord;
    }
  | { ok: false; reason: string };

/**
 * Puts an isolated instance's interfaces back in the groups recorded when it was isolated, removes
 * the isolation tags, verifies by re-reading, and marks the record restored (kept for the audit).
 * The quarantine group stays (it is reused by the next isolation in the VPC).
 */
export async function restoreIsolation(options: {
  clients: AccountClients;
  isolations: IsolationStore;
  target: Target;
  instanceId: string;
  now?: () => number;
}): Promise<RestoreIsolationResult> {
  const { target, instanceId } = options;
  const record = await options.isolations.get(target.account, target.region, instanceId);
  if (!record) {
    return {
      ok: false,
      reason: `no isolation record for ${instanceId} in ${target.account}/${target.region} (was it isolated by driftguard, in this account and region?)`,
    };
  }
  if (record.status === 'restored') {
    return {
      ok: false,
      reason: `${instanceId} was already restored at ${record.restoredAt ?? '(unknown time)'}`,
    };
  }
  const ec2 = await options.clients.get(EC2Client, target);
  const live = await interfacesOf(ec2, instanceId);
  const notes: string[] = [];
  const restored: { networkInterfaceId: string; groups: string[] }[] = [];
  for (const entry of record.interfaces) {
    const eni = live.find((candidate) => candidate.NetworkInterfaceId === entry.networkInterfaceId);
    if (!eni) {
      notes.push(`${entry.networkInterfaceId} is no longer attached: skipped`);
      continue;
    }
    if (entry.groups.length === 0) {
      notes.push(`${entry.networkInterfaceId} had no group recorded: left in quarantine`);
      continue;
    }
    await setGroups(ec2, instanceId, eni, entry.groups);
    restored.push(entry);
  }
  for (const eni of live) {
    if (!record.interfaces.some((entry) => entry.networkInterfaceId === eni.NetworkInterfaceId))
      notes.push(
        `${eni.NetworkInterfaceId} was attached after the isolation: left as is (${groupIds(eni).join(',')})`,
      );
  }
  const after = await interfacesOf(ec2, instanceId);
  const wrong = restored.filter((entry) => {
    const eni = after.find((candidate) => candidate.NetworkInterfaceId === entry.networkInterfaceId);
    const ids = eni ? groupIds(eni) : [];
    return ids.length !== entry.groups.length || entry.groups.some((id) => !ids.includes(id));
  });
  if (wrong.length > 0) {
    return {
      ok: false,
      reason: `re-read after restoring shows other groups on ${wrong.map((entry) => entry.networkInterfaceId).join(', ')}`,
    };
  }
  await ec2.send(
    new DeleteTagsCommand({
      Resources: [instanceId],
      Tags: [{ Key: ISOLATION_TAGS.finding }, { Key: ISOLATION_TAGS.at }],
    }),
  );
  const done: IsolationRecord = {
    ...record,
    status: 'restored',
    restoredAt: new Date((options.now ?? Date.now)()).toISOString(),
  };
  await options.isolations.put(done);
  return { ok: true, restored, notes, record: done };
}
