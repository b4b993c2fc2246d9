import { randomBytes, randomUUID } from 'node:crypto';
import type { Instance } from '@aws-sdk/client-ec2';
import { GUARDDUTY_DETAIL_TYPE, GUARDDUTY_SOURCE } from '@driftguard/core';

/**
 * moto has no GuardDuty, so the demo and the tests build the finding GuardDuty would have sent
 * about resources they really created, in GuardDuty's own shape (the camelCase JSON EventBridge
 * carries in `detail`).
 */
export interface FindingEventInput {
  type: string;
  severity: number;
  account: string;
  region: string;
  /** GuardDuty's `resource` object (see the builders below). */
  resource: Record<string, unknown>;
  /** GuardDuty's `service.action` (default: a DNS request to a C&C domain). */
  action?: Record<string, unknown>;
  id?: string;
  count?: number;
  updatedAt?: Date;
  createdAt?: Date;
  archived?: boolean;
  title?: string;
}

const iso = (date: Date) => date.toISOString();

/** A new 32-hex finding id, like GuardDuty's. */
export function findingId(): string {
  return randomBytes(16).toString('hex');
}

/** The raw finding (what `detail` holds, and what GuardDuty exports). */
export function guardDutyFinding(input: FindingEventInput): Record<string, unknown> {
  const id = input.id ?? findingId();
  const updatedAt = input.updatedAt ?? new Date();
  const createdAt = input.createdAt ?? updatedAt;
  const detector = '12c4f5e6a7b8c9d0e1f2a3b4c5d6e7f8';
  return {
    schemaVersion: '2.0',
    accountId: input.account,
    region: input.region,
    partition: 'aws',
    id,
    arn: `arn:aws:guardduty:${input.region}:${input.account}:detector/${detector}/finding/${id}`,
    type: input.type,
    resource: input.resource,
    service: {
      serviceName: 'guardduty',
      detectorId: detector,
      action: input.action ?? {
        actionType: 'DNS_REQUEST',
        dnsRequestAction: { domain: 'c2.example-botnet.net', protocol: 'UDP', blocked: false },
      },
      resourceRole: 'TARGET',
      additionalInfo: {},
      eventFirstSeen: iso(new Date(createdAt.getTime() - 600_000)),
      eventLastSeen: iso(new Date(updatedAt.getTime() - 60_000)),
      archived: input.archived ?? false,
      count: input.count ?? 1,
    },
    severity: input.severity,
    createdAt: iso(createdAt),
    updatedAt: iso(updatedAt),
    title: input.title ?? `${input.type} (simulated)`,
    description: `${input.type}: simulated by driftguard for a resource created in the local emulator.`,
  };
}

/** The EventBridge event (`source: aws.guardduty`, `detail-type: GuardDuty Finding`) around a finding. */
export function guardDutyFindingEvent(input: FindingEventInput): Record<string, unknown> {
  const detail = guardDutyFinding(input);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': GUARDDUTY_DETAIL_TYPE,
    source: GUARDDUTY_SOURCE,
    account: input.account,
    time: (detail.updatedAt as string).replace(/\.\d{3}Z$/, 'Z'),
    region: input.region,
    resources: [],
    detail,
  };
}

/** `resource` of an EC2 finding, from a real DescribeInstances result. */
export function instanceResource(instance: Instance): Record<string, unknown> {
  return {
    resourceType: 'Instance',
    instanceDetails: {
      instanceId: instance.InstanceId,
      instanceType: instance.InstanceType,
      instanceState: instance.State?.Name,
      imageId: instance.ImageId,
      availabilityZone: instance.Placement?.AvailabilityZone,
      networkInterfaces: (instance.NetworkInterfaces ?? []).map((eni) => ({
        networkInterfaceId: eni.NetworkInterfaceId,
        privateIpAddress: eni.PrivateIpAddress,
        subnetId: eni.SubnetId,
        vpcId: eni.VpcId,
        securityGroups: (eni.Groups ?? []).map((group) => ({
          groupId: group.GroupId,
          groupName: group.GroupName,
        })),
      })),
      tags: (instance.Tags ?? []).map((tag) => ({ key: tag.Key, value: tag.Value })),
    },
  };
}

/** `resource` of an IAM finding: the access key and the user or role it belongs to. */
export function accessKeyResource(details: {
  accessKeyId: string;
  userName: string;
  userType: 'IAMUser' | 'AssumedRole' | 'Root';
}): Record<string, unknown> {
  return {
    resourceType: 'AccessKey',
    accessKeyDetails: { ...details, principalId: `AIDAEXAMPLE${details.userName.toUpperCase()}` },
  };
}

/** `resource` of an S3 finding. */
export function bucketResource(bucket: string): Record<string, unknown> {
  return {
    resourceType: 'S3Bucket',
    s3BucketDetails: [
      {
        name: bucket,
        arn: `arn:aws:s3:::${bucket}`,
        type: 'Destination',
        publicAccess: { effectivePermission: 'PUBLIC' },
      },
    ],
  };
}
