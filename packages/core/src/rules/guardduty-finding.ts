import type { Config } from '../config';
import { BAND_FLOOR, type Finding, GUARDDUTY_DETAIL_TYPE, GUARDDUTY_SOURCE } from '../events/guardduty';
import { findingTypeMatches, PLAYBOOKS, type Playbook } from '../guardduty-config';
import type { Operation, Target } from '../operations';
import { type FindingRef, REVOKE_SESSIONS_POLICY_NAME } from '../playbook-operations';
import { protectedRoleReason } from '../protected-roles';
import type { ResourceRef, Verdict } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

export const GUARDDUTY_RULE_ID = 'guardduty-finding';

/** The lowest score a playbook runs at, from config (a band name stands for its floor). */
export function playbookMinimum(config: Config): number {
  const minimum = config.rules[GUARDDUTY_RULE_ID].playbookMinimumSeverity;
  return typeof minimum === 'number' ? minimum : BAND_FLOOR[minimum];
}

/** "instance i-0abc", "access key AKIA… of IAMUser alice", "bucket logs": what the finding is about. */
export function describeFindingResource(finding: Finding): string {
  const { resource } = finding;
  const key = resource.accessKey;
  const keyText = key
    ? `access key ${key.accessKeyId ?? '(unknown)'}${key.userName ? ` of ${key.userType ?? 'principal'} ${key.userName}` : ''}`
    : undefined;
  const buckets = resource.buckets.map((bucket) => bucket.name);
  const parts: Record<string, string | undefined> = {
    Instance: resource.instance && `instance ${resource.instance.instanceId}`,
    AccessKey: keyText,
    S3Bucket: buckets.length > 0 ? `bucket ${buckets.join(', ')}` : undefined,
    EKSCluster: resource.eksCluster && `EKS cluster ${resource.eksCluster.name ?? resource.eksCluster.arn}`,
    ECSCluster: resource.ecsCluster && `ECS cluster ${resource.ecsCluster.name ?? resource.ecsCluster.arn}`,
    Container:
      resource.container &&
      `container ${resource.container.name ?? resource.container.id}${resource.container.image ? ` (${resource.container.image})` : ''}`,
    RDSDBInstance:
      resource.rdsInstance &&
      `RDS ${resource.rdsInstance.dbInstanceIdentifier ?? resource.rdsInstance.dbClusterIdentifier ?? resource.rdsInstance.arn}`,
    Lambda:
      resource.lambda && `Lambda function ${resource.lambda.functionName ?? resource.lambda.functionArn}`,
  };
  const primary = parts[resource.type] ?? Object.values(parts).find((part) => part !== undefined);
  const extra: string[] = [];
  if (resource.type === 'S3Bucket' && keyText) extra.push(`used ${keyText}`);
  if (resource.kubernetes?.user) extra.push(`Kubernetes user ${resource.kubernetes.user}`);
  const workload = resource.kubernetes?.workload;
  if (workload?.name)
    extra.push(`workload ${workload.namespace ? `${workload.namespace}/` : ''}${workload.name}`);
  if (resource.rdsUser?.user) extra.push(`database user ${resource.rdsUser.user}`);
  if (resource.process?.name || resource.process?.executablePath)
    extra.push(`process ${resource.process.executablePath ?? resource.process.name}`);
  const head = primary ?? `${resource.type} resource`;
  return extra.length > 0 ? `${head} (${extra.join('; ')})` : head;
}

/**
 * Who acted, as GuardDuty saw it from outside: "198.51.100.9 (ExampleNet, Russia)", "AWS account
 * 444455556666", or "unknown" — never the finding id, never empty. Untrusted text: callers escape.
 */
export function describeFindingActor(finding: Finding): string {
  const { network } = finding;
  if (network.remoteIp) {
    const where = [network.remoteOrganization, network.remoteCountry].filter(Boolean).join(', ');
    return `${network.remoteIp}${where ? ` (${where})` : ''}`;
  }
  if (network.remoteAccount) return `AWS account ${network.remoteAccount}`;
  return 'unknown';
}

/** "remote 198.51.100.9 (Russia, ExampleNet) port 53 · api s3 GetObject · seen 3× …" */
export function describeFindingActivity(finding: Finding): string {
  const { network } = finding;
  const parts: string[] = [];
  if (network.remoteIp) {
    const where = [network.remoteCountry, network.remoteOrganization].filter(Boolean).join(', ');
    parts.push(
      `${network.direction === 'OUTBOUND' ? 'to' : 'from'} ${network.remoteIp}${where ? ` (${where})` : ''}${network.remotePort !== undefined ? ` port ${network.remotePort}` : ''}`,
    );
  }
  if (network.domain) parts.push(`domain ${network.domain}`);
  if (network.api) parts.push(`api ${network.api}`);
  if (network.localPort !== undefined && network.remotePort === undefined)
    parts.push(`local port ${network.localPort}`);
  const window =
    finding.firstSeen && finding.lastSeen && finding.firstSeen !== finding.lastSeen
      ? ` from ${finding.firstSeen} to ${finding.lastSeen}`
      : finding.lastSeen
        ? ` at ${finding.lastSeen}`
        : '';
  parts.push(`seen ${finding.count}×${window}`);
  return parts.join(' · ');
}

export interface PlaybookPlan {
  operations: Operation[];
  /** Why an opted-in playbook did not apply (below the minimum, no such resource, sample finding). */
  notes: string[];
  /** "isolate-instance (Backdoor:EC2/*)": which playbooks apply, and by which pattern. */
  applied: string[];
}

function playbookOperations(
  playbook: Playbook,
  finding: Finding,
  target: Target,
  config: Config,
): Operation[] | string {
  const ref: FindingRef = { id: finding.id, type: finding.type.raw };
  const { resource } = finding;
  const key = resource.accessKey;
  switch (playbook) {
    case 'isolate-instance':
      if (!resource.instance) return 'the finding names no EC2 instance';
      return [
        {
          service: 'ec2',
          operation: 'IsolateEc2Instance',
          target,
          input: { InstanceId: resource.instance.instanceId },
          finding: ref,
        },
      ];
    case 'deactivate-access-key':
      if (key?.userType !== 'IAMUser' || !key.userName || !key.accessKeyId)
        return `the finding names no IAM user access key (user type ${key?.userType ?? 'none'}; temporary and root credentials cannot be deactivated)`;
      return [
        {
          service: 'iam',
          operation: 'DeactivateAccessKey',
          target,
          input: { UserName: key.userName, AccessKeyId: key.accessKeyId },
          finding: ref,
        },
      ];
    case 'revoke-role-sessions':
      if (key?.userType !== 'AssumedRole' || !key.userName)
        return `the finding names no role session (user type ${key?.userType ?? 'none'})`;
      {
        const reason = protectedRoleReason(key.userName, target.account, config);
        if (reason) return `${reason}: its sessions are never revoked by driftguard`;
      }
      return [
        {
          service: 'iam',
          operation: 'RevokeRoleSessions',
          target,
          input: { RoleName: key.userName, PolicyName: REVOKE_SESSIONS_POLICY_NAME },
          finding: ref,
        },
      ];
    case 'block-s3-public-access': {
      const buckets = resource.buckets.filter((bucket) => bucket.type !== 'Source');
      if (buckets.length === 0) return 'the finding names no S3 bucket';
      return buckets.map((bucket) => ({
        service: 's3' as const,
        operation: 'BlockBucketPublicAccess' as const,
        target,
        input: {
          Bucket: bucket.name,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true as const,
            IgnorePublicAcls: true as const,
            BlockPublicPolicy: true as const,
            RestrictPublicBuckets: true as const,
          },
        },
        finding: ref,
      }));
    }
  }
}

/**
 * Which opted-in playbooks apply to a finding. Pure. A playbook applies when one of its patterns
 * matches the finding type, the severity is at least `playbookMinimumSeverity`, the finding is not
 * a sample, and it names the resource the playbook acts on.
 */
export function planPlaybooks(finding: Finding, config: Config): PlaybookPlan {
  const settings = config.rules[GUARDDUTY_RULE_ID];
  const minimum = playbookMinimum(config);
  const target = { account: finding.account, region: finding.region };
  const plan: PlaybookPlan = { operations: [], notes: [], applied: [] };
  for (const playbook of PLAYBOOKS) {
    const pattern = settings.playbooks[playbook].find((candidate) =>
      findingTypeMatches(candidate, finding.type.raw),
    );
    if (!pattern) continue;
    if (finding.severity < minimum) {
      plan.notes.push(
        `${playbook} (${pattern}) not run: severity ${finding.severity} is below playbookMinimumSeverity ${minimum}`,
      );
      continue;
    }
    if (finding.sample) {
      plan.notes.push(`${playbook} (${pattern}) not run: sample finding, its resources are placeholders`);
      continue;
    }
    const operations = playbookOperations(playbook, finding, target, config);
    if (typeof operations === 'string') {
      plan.notes.push(`${playbook} (${pattern}) not run: ${operations}`);
      continue;
    }
    plan.operations.push(...operations);
    plan.applied.push(`${playbook} (${pattern})`);
  }
  return plan;
}

export function findingResourceRef(finding: Finding): ResourceRef {
  return { type: 'AWS::GuardDuty::Finding', id: finding.id, ...(finding.arn ? { arn: finding.arn } : {}) };
}

/**
 * Every finding is a violation graded by its band; the remediation is the opted-in playbooks that
 * apply. Pure: the same finding and config always give the same verdict.
 */
export function evaluateFinding(finding: Finding, config: Config): Verdict {
  const plan = planPlaybooks(finding, config);
  const subject = describeFindingResource(finding);
  return {
    kind: 'violation',
    severity: finding.band,
    resource: findingResourceRef(finding),
    summary: `GuardDuty ${finding.type.raw} (severity ${finding.severity}, ${finding.band}) on ${subject}`,
    offenses: [
      {
        id: finding.type.raw,
        severity: finding.band,
        reason: [finding.title ?? finding.description ?? finding.type.raw, describeFindingActivity(finding)]
          .filter(Boolean)
          .join(' — '),
        remediable: plan.operations.length > 0,
      },
    ],
    remediation: plan.operations,
  };
}

export const guarddutyFinding: Guardrail = {
  id: GUARDDUTY_RULE_ID,
  title: 'GuardDuty finding',
  severity: 'medium',
  defaultMode: 'alert',
  // GuardDuty findings are not CloudTrail calls: no triggers; the pattern comes from `events`.
  triggers: [],
  events: [{ source: GUARDDUTY_SOURCE, detailType: GUARDDUTY_DETAIL_TYPE }],
  defaultRoute: {
    low: ['sns'],
    medium: ['slack'],
    high: ['slack', 'ticket'],
    critical: ['slack', 'ticket'],
  },
  evaluate: () => ({
    kind: 'not-applicable',
    summary: 'guardduty-finding reads GuardDuty findings, not CloudTrail calls',
  }),
  evaluateFinding: (finding, { config }) => evaluateFinding(finding, config),
};

/** What RULES.md says of `guarddutyFinding` (`npm run rules:docs`; the functions do not ship it). */
export const guarddutyFindingDocs: GuardrailDocs = {
  rationale:
    'Guardrails close doors; GuardDuty tells you when one was already used. Its findings go through the same decide → act → notify → audit path as every guardrail, so a compromised instance, key, role or bucket is contained in seconds and recorded, not left to a console nobody watches.',
  violation:
    'Every finding, graded by GuardDuty severity: 1.0–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0–10.0 critical. Default routing: low → SNS, medium → Slack, high → Slack + ticket, critical → Slack + ticket (+ playbook when opted in); `notifications.byRule.guardduty-finding` overrides it. Unknown finding and resource types still alert with what is known. Archived findings are not acted on; a ticket an earlier version of the finding opened is told of the archive once (driftguard closes no ticket). A finding is acted on once per (id, updatedAt); a later update (new updatedAt, higher count) refreshes the alert and ticket instead of opening new ones; an older or repeated delivery is ignored.',
  revert:
    "Playbooks, each off until finding types (globs such as `Backdoor:EC2/*`) are listed for it in `rules.guardduty-finding.playbooks`, and only from `playbookMinimumSeverity` (default critical) up; never for sample findings. `isolate-instance`: every network interface gets the VPC's `driftguard-quarantine` group (no ingress, no egress; created once, tagged, reused), the instance is tagged with the finding id, the previous groups are recorded in the state table (`driftguard restore-isolation <instance>` puts them back). `deactivate-access-key`: the IAM user's key → Inactive (never deleted). `revoke-role-sessions`: inline policy `DriftGuardRevokeOlderSessions` denying everything to sessions issued before now (`aws:TokenIssueTime`; never driftguard's own roles). `block-s3-public-access`: the bucket's public access block, all four settings on. Each is verified by re-reading after acting. An override by account or OU in mode `alert`, `ticket`, `shadow` or `off` keeps every playbook from acting in that account (`revert` lets them act).",
};
