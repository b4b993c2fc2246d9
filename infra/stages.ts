import type { ConfigInput } from '@driftguard/core';

/**
 * Where and how each stage is deployed. This file is the one place a platform team edits before
 * the first deploy (DEPLOY.md, "Configure"): it is plain data, reviewed like code, and read both
 * by `sst.config.ts` (provider region and account pin) and by `infra/` (everything else).
 *
 * It must not use SST globals: `app()` in sst.config.ts imports it before they exist.
 */
/** The environment settings a stage may add for its channels (never secrets). */
export const CHANNEL_SETTINGS = ['JIRA_BASE_URL', 'JIRA_EMAIL', 'DRIFTGUARD_WEBHOOK_URL'] as const;
export type ChannelSetting = (typeof CHANNEL_SETTINGS)[number];

export interface StageSettings {
  /**
   * The security (audit) account the central stack lives in. The AWS provider refuses to run with
   * credentials for any other account (`allowedAccountIds`), so `--stage prod` cannot land in a
   * sandbox by mistake. Undefined for personal/CI stages: any account.
   */
  account?: string;
  /** Region of the central bus, queue, function, table and topic. */
  region: string;
  /** Production stages retain data on removal, protect the table and refuse `sst remove`. */
  production: boolean;
  /** `o-…`: the only organization allowed to put events on the central bus and assume the role. */
  organizationId: string;
  /** OU ids (`ou-…`) or the root (`r-…`) the member StackSet deploys to; new accounts follow. */
  targetOrganizationalUnits: string[];
  /** Regions whose default buses forward to the central bus (one stack instance per region). */
  memberRegions: string[];
  /** The member region that holds the (global) IAM remediation role; defaults to `region`. */
  roleRegion?: string;
  /**
   * How the stack set is administered: `DELEGATED_ADMIN` when the central stack lives in the
   * security account registered as a StackSets delegated administrator (the default and the
   * recommendation), `SELF` when it lives in the management account.
   */
  stackSetsCallAs?: 'DELEGATED_ADMIN' | 'SELF';
  /**
   * Where GuardDuty findings are forwarded from. `central-account`: the security account is the
   * GuardDuty delegated administrator, so every member's findings already reach its default bus
   * and the central stack forwards them from there (recommended). `member-accounts`: each member
   * forwards its own findings (the function dedupes on finding id + updatedAt). `off`: none.
   */
  guardDutyFindings: 'central-account' | 'member-accounts' | 'off';
  /**
   * Lambda reserved concurrency for `evaluate`; also the SQS event source's maximum concurrency,
   * so a burst of events never throttles the function into retries.
   */
  reservedConcurrency: number;
  /** How often the sweep re-reads live state everywhere (EventBridge Scheduler expression). */
  sweepSchedule?: `rate(${string})` | `cron(${string})`;
  /**
   * Non-secret channel settings the functions read from their environment (packages/aws/src/channels.ts),
   * e.g. `{ JIRA_EMAIL: 'driftguard@example.com', DRIFTGUARD_WEBHOOK_URL: 'https://…' }`. Secrets
   * never go here: they are SST secrets (infra/secrets.ts).
   */
  channelSettings?: Partial<Record<ChannelSetting, string>>;
  /** The driftguard config (packages/core/src/config.ts), passed to the function as JSON. */
  config: ConfigInput & { externalId: string };
}

/**
 * EDIT BEFORE THE FIRST PRODUCTION DEPLOY: the account, organization, OUs and external id below
 * are placeholders. `sst deploy --stage prod` refuses to run in any account but `account`.
 */
export const STAGES: Record<string, StageSettings> = {
  prod: {
    account: '111111111111',
    region: 'us-east-1',
    production: true,
    organizationId: 'o-exampleorg1',
    targetOrganizationalUnits: ['r-exmp'],
    memberRegions: ['us-east-1', 'us-west-2', 'eu-west-1'],
    guardDutyFindings: 'central-account',
    reservedConcurrency: 10,
    // Shadow first: decide and notify, change nothing, until the alerts have been reviewed.
    config: { dryRun: true, externalId: 'driftguard-prod-change-me' },
  },
  staging: {
    account: '222222222222',
    region: 'us-east-1',
    production: false,
    organizationId: 'o-exampleorg1',
    targetOrganizationalUnits: ['ou-exmp-staging1'],
    memberRegions: ['us-east-1'],
    guardDutyFindings: 'off',
    reservedConcurrency: 2,
    config: { dryRun: true, externalId: 'driftguard-staging-change-me' },
  },
};

/** Personal and CI stages (`sst install` runs with `SST_STAGE=ci`): any account, never production. */
export const SANDBOX: StageSettings = {
  region: 'us-east-1',
  production: false,
  organizationId: 'o-exampleorg1',
  targetOrganizationalUnits: ['ou-exmp-sandbox1'],
  memberRegions: ['us-east-1'],
  guardDutyFindings: 'off',
  reservedConcurrency: 2,
  config: { dryRun: true, externalId: 'driftguard-sandbox' },
};

export function stageSettings(stage: string): StageSettings {
  return STAGES[stage] ?? SANDBOX;
}

/** Checks what AWS would otherwise reject half-way through a deploy. Returns the problems found. */
export function settingsProblems(settings: StageSettings): string[] {
  const problems: string[] = [];
  if (settings.account !== undefined && !/^\d{12}$/.test(settings.account)) {
    problems.push(`account "${settings.account}" is not a 12-digit AWS account id`);
  }
  if (!/^o-[a-z0-9]{10,32}$/.test(settings.organizationId)) {
    problems.push(`organizationId "${settings.organizationId}" is not an organization id (o-…)`);
  }
  if (settings.targetOrganizationalUnits.length === 0) problems.push('targetOrganizationalUnits is empty');
  for (const ou of settings.targetOrganizationalUnits) {
    if (!/^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/.test(ou)) {
      problems.push(`"${ou}" is neither an OU id (ou-…) nor a root id (r-…)`);
    }
  }
  if (settings.memberRegions.length === 0) problems.push('memberRegions is empty');
  const roleRegion = settings.roleRegion ?? settings.region;
  if (!settings.memberRegions.includes(roleRegion)) {
    problems.push(`the role region ${roleRegion} must be one of memberRegions, or no member gets the role`);
  }
  if (!Number.isInteger(settings.reservedConcurrency) || settings.reservedConcurrency < 2) {
    // SQS event sources need a maximum concurrency of at least 2.
    problems.push('reservedConcurrency must be an integer of at least 2');
  }
  for (const name of Object.keys(settings.channelSettings ?? {})) {
    if (!(CHANNEL_SETTINGS as readonly string[]).includes(name)) {
      problems.push(
        `channelSettings.${name} is not one of ${CHANNEL_SETTINGS.join(', ')} (secrets are SST secrets)`,
      );
    }
  }
  // IAM's ExternalId: 2-1224 characters of [\w+=,.@:/-].
  if (!/^[\w+=,.@:/-]{2,1224}$/.test(settings.config.externalId)) {
    problems.push('config.externalId must be 2-1224 characters of letters, digits and +=,.@:/-');
  }
  return problems;
}
