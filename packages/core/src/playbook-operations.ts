import type { Target } from './operations';

/**
 * GuardDuty response playbooks as typed operations (part of the `Operation` union). Each names the
 * finding it answers, so the executor can tag and record what it did and why. Like every
 * operation, each handler is verify → act → verify; none deletes anything.
 */
export interface FindingRef {
  id: string;
  type: string;
}

/** The name of the per-VPC quarantine security group (no ingress, no egress rules). */
export const QUARANTINE_GROUP_NAME = 'driftguard-quarantine';
/** Tag keys the isolate playbook writes. */
export const ISOLATION_TAGS = {
  /** On the quarantine group: marks it as driftguard's. */
  quarantine: 'driftguard:quarantine',
  /** On the instance: the finding that isolated it. */
  finding: 'driftguard:isolated-by-finding',
  /** On the instance: when it was isolated (ISO time). */
  at: 'driftguard:isolated-at',
} as const;

/** The inline policy the role playbook attaches (named like driftguard, not like the console's). */
export const REVOKE_SESSIONS_POLICY_NAME = 'DriftGuardRevokeOlderSessions';

/**
 * EC2 isolate: every network interface of the instance gets the VPC's quarantine group as its only
 * group (created if missing, tagged, reused); the instance is tagged with the finding id; the
 * previous groups are recorded (state table) so `driftguard restore-isolation` can put them back.
 */
export interface IsolateEc2Instance {
  service: 'ec2';
  operation: 'IsolateEc2Instance';
  target: Target;
  input: { InstanceId: string };
  finding: FindingRef;
}

/** IAM access key → Inactive (UpdateAccessKey). Never deleted: reactivating undoes it. */
export interface DeactivateAccessKey {
  service: 'iam';
  operation: 'DeactivateAccessKey';
  target: Target;
  input: { UserName: string; AccessKeyId: string };
  finding: FindingRef;
}

/**
 * IAM role: an inline policy denying everything to sessions issued before the time of execution
 * (`DateLessThan aws:TokenIssueTime`). Sessions issued later still work. The executor sets the
 * time when it acts (core reads no clock).
 */
export interface RevokeRoleSessions {
  service: 'iam';
  operation: 'RevokeRoleSessions';
  target: Target;
  input: { RoleName: string; PolicyName: string };
  finding: FindingRef;
}

/** S3: the bucket's public access block, all four settings on. */
export interface BlockBucketPublicAccess {
  service: 's3';
  operation: 'BlockBucketPublicAccess';
  target: Target;
  input: {
    Bucket: string;
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true;
      IgnorePublicAcls: true;
      BlockPublicPolicy: true;
      RestrictPublicBuckets: true;
    };
  };
  finding: FindingRef;
}

export type PlaybookOperation =
  | IsolateEc2Instance
  | DeactivateAccessKey
  | RevokeRoleSessions
  | BlockBucketPublicAccess;

/** The session-revocation policy document for a cut-off time (ISO 8601, UTC). */
export function revokeSessionsPolicy(issuedBefore: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DriftGuardRevokeOlderSessions',
        Effect: 'Deny',
        Action: ['*'],
        Resource: ['*'],
        Condition: { DateLessThan: { 'aws:TokenIssueTime': issuedBefore } },
      },
    ],
  });
}
