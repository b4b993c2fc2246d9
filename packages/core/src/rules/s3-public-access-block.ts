import type { Change } from '../events/change';
import { isRecord, toStr } from '../events/ec2-sets';
import type { Operation, PublicAccessBlockConfiguration } from '../operations';
import { bucketRef } from '../resource-refs';
import type { Offense, ResourceRef, Verdict } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

export const PUBLIC_ACCESS_BLOCK_SETTINGS = [
  'BlockPublicAcls',
  'IgnorePublicAcls',
  'BlockPublicPolicy',
  'RestrictPublicBuckets',
] as const;
export type PublicAccessBlockSetting = (typeof PUBLIC_ACCESS_BLOCK_SETTINGS)[number];

export const ALL_BLOCKED: PublicAccessBlockConfiguration = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

const WHAT: Record<PublicAccessBlockSetting, string> = {
  BlockPublicAcls: 'new public ACLs are accepted',
  IgnorePublicAcls: 'existing public ACLs take effect',
  BlockPublicPolicy: 'public bucket policies are accepted',
  RestrictPublicBuckets: 'public and cross-account access through public policies is allowed',
};

/** S3 stores an omitted setting as false; CloudTrail may render booleans as strings. */
export function settingOn(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}

/** The settings a change leaves off: every one for a Delete, else those not true in the request. */
export function settingsOff(change: Change): PublicAccessBlockSetting[] {
  if (change.eventName.startsWith('Delete')) return [...PUBLIC_ACCESS_BLOCK_SETTINGS];
  const configuration = change.request.PublicAccessBlockConfiguration;
  const settings = isRecord(configuration) ? configuration : {};
  return PUBLIC_ACCESS_BLOCK_SETTINGS.filter((setting) => !settingOn(settings[setting]));
}

const ACCOUNT_EVENTS = new Set(['PutAccountPublicAccessBlock', 'DeleteAccountPublicAccessBlock']);

export const s3PublicAccessBlock: Guardrail = {
  id: 's3-public-access-block',
  title: 'S3 Block Public Access turned off',
  severity: 'high',
  defaultMode: 'revert',
  triggers: [
    {
      eventSource: 's3.amazonaws.com',
      eventNames: [
        'PutBucketPublicAccessBlock',
        'DeleteBucketPublicAccessBlock',
        'PutAccountPublicAccessBlock',
        'DeleteAccountPublicAccessBlock',
      ],
    },
    // Account-level calls go through the S3 Control endpoint; watched under that source as well.
    {
      eventSource: 's3control.amazonaws.com',
      eventNames: ['PutAccountPublicAccessBlock', 'DeleteAccountPublicAccessBlock'],
    },
  ],
  evaluate(change: Change, { config }): Verdict {
    const accountLevel =
      ACCOUNT_EVENTS.has(change.eventName) || change.eventSource === 's3control.amazonaws.com';
    const target = { account: change.account, region: change.region };
    let resource: ResourceRef;
    let operation: Operation;
    if (accountLevel) {
      resource = { type: 'AWS::S3::AccountPublicAccessBlock', id: change.account };
      operation = {
        service: 's3control',
        operation: 'PutAccountPublicAccessBlock',
        target,
        input: { AccountId: change.account, PublicAccessBlockConfiguration: { ...ALL_BLOCKED } },
      };
    } else {
      const bucket = toStr(change.request.bucketName);
      if (!bucket) return { kind: 'not-applicable', summary: 'the record names no bucket (bucketName)' };
      resource = bucketRef(bucket);
      operation = {
        service: 's3',
        operation: 'PutPublicAccessBlock',
        target,
        input: { Bucket: bucket, PublicAccessBlockConfiguration: { ...ALL_BLOCKED } },
      };
      if (config.rules['s3-public-access-block'].allowedBuckets.includes(bucket)) {
        return { kind: 'compliant', resource, summary: `${bucket} is in allowedBuckets` };
      }
    }
    const where = accountLevel ? `account ${change.account} (every bucket)` : `bucket ${resource.id}`;
    const off = settingsOff(change);
    if (off.length === 0) {
      return {
        kind: 'compliant',
        resource,
        summary: `all four public access block settings on for ${where}`,
      };
    }
    const severity = accountLevel ? 'critical' : 'high';
    const deleted = change.eventName.startsWith('Delete');
    const offenses: Offense[] = off.map((setting) => ({
      id: setting,
      severity,
      reason: `${setting} off on ${where}: ${WHAT[setting]}`,
      remediable: true,
    }));
    return {
      kind: 'violation',
      severity,
      resource,
      summary: deleted
        ? `public access block deleted on ${where}: all four settings off`
        : `${off.length} of 4 public access block setting(s) turned off on ${where}`,
      offenses,
      remediation: [operation],
    };
  },
};

/** What RULES.md says of `s3PublicAccessBlock` (`npm run rules:docs`; the functions do not ship it). */
export const s3PublicAccessBlockDocs: GuardrailDocs = {
  rationale:
    'Block Public Access is the backstop that keeps a mistaken bucket policy or ACL from publishing data. Turning any of its four settings off, on a bucket or for the whole account, removes that backstop silently.',
  violation:
    'PutBucketPublicAccessBlock / PutAccountPublicAccessBlock with any of BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets false or omitted (S3 stores omitted as false), or DeleteBucketPublicAccessBlock / DeleteAccountPublicAccessBlock (all four off). Account level is critical, bucket level high. Buckets in `allowedBuckets` may turn settings off.',
  revert:
    'PutPublicAccessBlock with all four settings true: on the bucket (S3), or on the account (S3 Control). The executor reads the settings first (nothing to do when all four are already on) and reads them back to verify.',
};
