/**
 * Physical names that other accounts (or people) have to know in advance. They are fixed rather
 * than generated so the member template, DEPLOY.md and the management-account stack can name them
 * before the central stack exists, and so the central role name can be excluded from the rules
 * (loop guard) without an output round-trip.
 */
export function names(stage: string) {
  const prefix = `driftguard-${stage}`;
  return {
    bus: prefix,
    queue: `${prefix}-events`,
    deadLetterQueue: `${prefix}-events-dlq`,
    table: `${prefix}-state`,
    /** Break-glass exemptions: their own table, so one resource policy covers every item (infra/exemption-api.ts). */
    exemptionsTable: `${prefix}-exemptions`,
    exemptionApiFunction: `${prefix}-exemption-api`,
    exemptionApiRole: `${prefix}-exemption-api`.slice(0, 64),
    topic: `${prefix}-alerts`,
    function: `${prefix}-evaluate`,
    /** The sweep's planner (scheduled): lists the units of a run and queues them. */
    sweepFunction: `${prefix}-sweep`,
    /** The sweep's worker: one (account, region, kind) unit per message. */
    sweepWorkerFunction: `${prefix}-sweep-worker`,
    sweepQueue: `${prefix}-sweep-units`,
    sweepDeadLetterQueue: `${prefix}-sweep-units-dlq`,
    exemptionExpiryFunction: `${prefix}-exemption-expiry`,
    /** The role both central functions run with: the one principal member roles trust (≤ 64 chars). */
    functionRole: `${prefix}-central`.slice(0, 64),
    rule: (patternName: string) => `${prefix}-${patternName}`.slice(0, 64),
    stackSet: `${prefix}-member`,
    /**
     * Member resources carry the stage, so prod and staging can target overlapping OUs: the
     * remediation role (IAM names are per account), the forwarding rules, the stack set (above).
     */
    remediationRole: `DriftGuardRemediation-${stage}`.slice(0, 64),
    memberRule: (patternName: string) => `${prefix}-forward-${patternName}`.slice(0, 64),
    /** Prefix of the forwarding rules and per-region forwarding roles (core footprint.ts). */
    memberForwardingPrefix: `${prefix}-forward-`,
    /** The security account's per-region rules that bring GuardDuty findings to the central bus. */
    guardDutyForwardingRole: `${prefix}-guardduty-forwarding`.slice(0, 64),
    guardDutyRule: (patternName: string) => `${prefix}-central-${patternName}`.slice(0, 64),
    /** The role the deployer assumes in the management account (DEPLOY.md, prerequisites). */
    managementDeployerRole: `${prefix}-management-deployer`.slice(0, 64),
    /** SSM parameter with the runtime config (packages/aws/src/config-parameter.ts). */
    configParameter: `/driftguard/${stage}/config`,
  };
}

export type Names = ReturnType<typeof names>;

/** ARNs computable from names alone, for the member template's parameters and DEPLOY.md. */
export function knownArns(stage: string, account: string, region: string, partition = 'aws') {
  const n = names(stage);
  return {
    bus: `arn:${partition}:events:${region}:${account}:event-bus/${n.bus}`,
    functionRole: `arn:${partition}:iam::${account}:role/${n.functionRole}`,
  };
}

/** `cloudtrail-ec2` → `CloudtrailEc2`: Pulumi and CloudFormation logical ids from pattern names. */
export function logicalId(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
