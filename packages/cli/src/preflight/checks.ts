import {
  type CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  type GetEventSelectorsCommandOutput,
  GetTrailStatusCommand,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import { type GuardDutyClient, ListOrganizationAdminAccountsCommand } from '@aws-sdk/client-guardduty';
import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  DescribeOrganizationCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';

/** One thing a deploy needs from the live organization, as found. */
export interface CheckResult {
  id: string;
  title: string;
  /** `missing`: the deploy would fail or leave a blind spot · `unknown`: could not be checked. */
  status: 'ok' | 'missing' | 'unknown';
  detail: string;
  /** Exactly what to run or change, when not ok. */
  fix?: string;
}

/** The stage settings the checks read (the stage file, infra/stages.ts). */
export interface PreflightStage {
  stage: string;
  account: string;
  region: string;
  organizationId: string;
  stackSetsCallAs: 'DELEGATED_ADMIN' | 'SELF';
  guardDutyFindings: 'central-account' | 'member-accounts' | 'off';
  /** The member regions (the file's list, or the regions enabled in the security account). */
  memberRegions: string[];
  /** Lambda concurrency the stack reserves (infra/sizing.ts, stackReservedConcurrency). */
  reservedConcurrency: number;
  /** The stack's function names: their current reservations count as available again. */
  functionNames: string[];
}

export const STACKSETS_PRINCIPAL = 'member.org.stacksets.cloudformation.amazonaws.com';
/** Lambda keeps this much of the account's concurrency unreserved, whatever functions ask for. */
export const LAMBDA_UNRESERVED_MINIMUM = 100;

const codeOf = (error: unknown) => (error as { name?: string }).name ?? 'Error';
const unknown = (id: string, title: string, error: unknown, hint: string): CheckResult => ({
  id,
  title,
  status: 'unknown',
  detail: `${codeOf(error)}: ${(error as Error).message ?? String(error)}`,
  fix: hint,
});

const MANAGEMENT_HINT =
  'run preflight with credentials of the management account (--management-profile), which may read Organizations, CloudTrail and GuardDuty';

/** The credentials reach the organization the stage names. */
export async function checkOrganization(
  organizations: OrganizationsClient,
  stage: PreflightStage,
): Promise<CheckResult> {
  const title = `organization ${stage.organizationId}`;
  try {
    const { Organization } = await organizations.send(new DescribeOrganizationCommand({}));
    if (Organization?.Id === stage.organizationId)
      return {
        id: 'organization',
        title,
        status: 'ok',
        detail: `management account ${Organization.MasterAccountId}`,
      };
    return {
      id: 'organization',
      title,
      status: 'missing',
      detail: `these credentials are in organization ${Organization?.Id}, not ${stage.organizationId}`,
      fix: `set organizationId in stages/${stage.stage}.json to ${Organization?.Id}, or use credentials of the right organization`,
    };
  } catch (error) {
    return unknown('organization', title, error, MANAGEMENT_HINT);
  }
}

/** Service-managed StackSets need trusted access, and a delegated administrator when not run from the management account. */
export async function checkStackSets(
  organizations: OrganizationsClient,
  stage: PreflightStage,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const trusted = 'StackSets trusted access';
  try {
    const enabled: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await organizations.send(new ListAWSServiceAccessForOrganizationCommand({ NextToken }));
      for (const service of page.EnabledServicePrincipals ?? [])
        if (service.ServicePrincipal) enabled.push(service.ServicePrincipal);
      NextToken = page.NextToken;
    } while (NextToken);
    results.push(
      enabled.includes(STACKSETS_PRINCIPAL)
        ? {
            id: 'stacksets-trusted-access',
            title: trusted,
            status: 'ok',
            detail: `${STACKSETS_PRINCIPAL} enabled`,
          }
        : {
            id: 'stacksets-trusted-access',
            title: trusted,
            status: 'missing',
            detail: `${STACKSETS_PRINCIPAL} is not a trusted service: the member StackSet cannot be created`,
            fix: 'in the management account: aws cloudformation activate-organizations-access',
          },
    );
  } catch (error) {
    results.push(unknown('stacksets-trusted-access', trusted, error, MANAGEMENT_HINT));
  }
  if (stage.stackSetsCallAs !== 'DELEGATED_ADMIN') return results;
  const delegated = `StackSets delegated administrator ${stage.account}`;
  try {
    const admins: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await organizations.send(
        new ListDelegatedAdministratorsCommand({ ServicePrincipal: STACKSETS_PRINCIPAL, NextToken }),
      );
      for (const admin of page.DelegatedAdministrators ?? []) if (admin.Id) admins.push(admin.Id);
      NextToken = page.NextToken;
    } while (NextToken);
    results.push(
      admins.includes(stage.account)
        ? { id: 'stacksets-delegated-admin', title: delegated, status: 'ok', detail: 'registered' }
        : {
            id: 'stacksets-delegated-admin',
            title: delegated,
            status: 'missing',
            detail: `the security account ${stage.account} is not a StackSets delegated administrator${admins.length ? ` (registered: ${admins.join(', ')})` : ''}: the stack cannot create the member StackSet with callAs DELEGATED_ADMIN`,
            fix: `in the management account: aws organizations register-delegated-administrator --service-principal ${STACKSETS_PRINCIPAL} --account-id ${stage.account}`,
          },
    );
  } catch (error) {
    results.push(unknown('stacksets-delegated-admin', delegated, error, MANAGEMENT_HINT));
  }
  return results;
}

/** Write management events are logged: the selectors (classic or advanced) include them. */
function logsWriteManagementEvents(selectors: GetEventSelectorsCommandOutput): boolean {
  if (selectors.AdvancedEventSelectors?.length) {
    return selectors.AdvancedEventSelectors.some((selector) => {
      const fields = selector.FieldSelectors ?? [];
      const category = fields.find((field) => field.Field === 'eventCategory');
      const readOnly = fields.find((field) => field.Field === 'readOnly');
      return category?.Equals?.includes('Management') === true && !readOnly?.Equals?.includes('true');
    });
  }
  // A trail with no selectors at all logs every management event (CloudTrail's default).
  if (!selectors.EventSelectors?.length) return true;
  return selectors.EventSelectors.some(
    (selector) => selector.IncludeManagementEvents !== false && selector.ReadWriteType !== 'ReadOnly',
  );
}

/**
 * CloudTrail delivers "AWS API Call via CloudTrail" events to EventBridge only for calls a trail
 * logs: every member account and region needs an organization trail, multi-region, logging, with
 * write management events selected.
 */
export async function checkOrganizationTrail(cloudtrail: CloudTrailClient): Promise<CheckResult> {
  const title = 'organization trail logging management events';
  const fix =
    'in the management account: aws cloudtrail create-trail --name org-trail --s3-bucket-name <bucket> --is-organization-trail --is-multi-region-trail && aws cloudtrail start-logging --name org-trail (management events, write or all, are selected by default)';
  try {
    const { trailList = [] } = await cloudtrail.send(
      new DescribeTrailsCommand({ includeShadowTrails: true }),
    );
    const organizationTrails = trailList.filter((trail) => trail.IsOrganizationTrail);
    const problems: string[] = [];
    for (const trail of organizationTrails) {
      const name = trail.TrailARN ?? trail.Name ?? '';
      const shortfalls = await trailShortfalls(cloudtrail, trail, name);
      if (shortfalls.length === 0)
        return { id: 'organization-trail', title, status: 'ok', detail: `${trail.Name}` };
      problems.push(`${trail.Name}: ${shortfalls.join(', ')}`);
    }
    return {
      id: 'organization-trail',
      title,
      status: 'missing',
      detail:
        problems.length > 0
          ? `no organization trail covers every region with write management events (${problems.join('; ')}): events from member accounts never reach EventBridge`
          : 'there is no organization trail: CloudTrail delivers no API-call events to EventBridge in member accounts without one',
      fix,
    };
  } catch (error) {
    return unknown('organization-trail', title, error, MANAGEMENT_HINT);
  }
}

async function trailShortfalls(cloudtrail: CloudTrailClient, trail: Trail, name: string): Promise<string[]> {
  const shortfalls: string[] = [];
  if (!trail.IsMultiRegionTrail) shortfalls.push('not multi-region (--is-multi-region-trail)');
  const status = await cloudtrail.send(new GetTrailStatusCommand({ Name: name }));
  if (!status.IsLogging) shortfalls.push(`not logging (aws cloudtrail start-logging --name ${trail.Name})`);
  const selectors = await cloudtrail.send(new GetEventSelectorsCommand({ TrailName: name }));
  if (!logsWriteManagementEvents(selectors))
    shortfalls.push(
      'write management events not selected (put-event-selectors … IncludeManagementEvents=true)',
    );
  return shortfalls;
}

/** With `central-account`, the security account is GuardDuty's delegated administrator in every member region. */
export async function checkGuardDutyAdmin(
  guardDutyIn: (region: string) => GuardDutyClient,
  stage: PreflightStage,
): Promise<CheckResult[]> {
  if (stage.guardDutyFindings !== 'central-account') return [];
  const title = `GuardDuty delegated administrator ${stage.account}`;
  const missing: string[] = [];
  const failures: CheckResult[] = [];
  for (const region of stage.memberRegions) {
    try {
      const { AdminAccounts = [] } = await guardDutyIn(region).send(
        new ListOrganizationAdminAccountsCommand({}),
      );
      const ours = AdminAccounts.find((admin) => admin.AdminAccountId === stage.account);
      if (ours?.AdminStatus !== 'ENABLED') missing.push(region);
    } catch (error) {
      failures.push(unknown('guardduty-admin', `${title} in ${region}`, error, MANAGEMENT_HINT));
    }
  }
  if (failures.length > 0) return failures;
  if (missing.length === 0)
    return [
      { id: 'guardduty-admin', title, status: 'ok', detail: `in ${stage.memberRegions.length} region(s)` },
    ];
  return [
    {
      id: 'guardduty-admin',
      title,
      status: 'missing',
      detail: `not the GuardDuty administrator in ${missing.join(', ')}: findings from those regions never reach driftguard (guardDutyFindings is central-account)`,
      fix: missing
        .map(
          (region) =>
            `aws guardduty enable-organization-admin-account --admin-account-id ${stage.account} --region ${region}`,
        )
        .join('\n'),
    },
  ];
}

/**
 * Lambda keeps 100 of the account's concurrency unreserved: the stack's reservations must fit in
 * what is left, counting what the stack's own functions already reserve (a re-deploy).
 */
export async function checkLambdaConcurrency(
  lambda: LambdaClient,
  stage: PreflightStage,
): Promise<CheckResult> {
  const title = `Lambda concurrency for ${stage.reservedConcurrency} reserved`;
  try {
    const { AccountLimit } = await lambda.send(new GetAccountSettingsCommand({}));
    const limit = AccountLimit?.ConcurrentExecutions ?? 0;
    const unreserved = AccountLimit?.UnreservedConcurrentExecutions ?? 0;
    let ours = 0;
    for (const FunctionName of stage.functionNames) {
      try {
        ours +=
          (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName })))
            .ReservedConcurrentExecutions ?? 0;
      } catch (error) {
        if (codeOf(error) !== 'ResourceNotFoundException') throw error;
      }
    }
    const available = unreserved + ours - LAMBDA_UNRESERVED_MINIMUM;
    const detail = `account limit ${limit}, unreserved ${unreserved}${ours ? ` (+${ours} already reserved by this stack)` : ''}, of which ${LAMBDA_UNRESERVED_MINIMUM} must stay unreserved`;
    if (available >= stage.reservedConcurrency)
      return { id: 'lambda-concurrency', title, status: 'ok', detail };
    return {
      id: 'lambda-concurrency',
      title,
      status: 'missing',
      detail: `${detail}: ${Math.max(0, available)} can be reserved, the stack needs ${stage.reservedConcurrency}`,
      fix: `request a higher "Concurrent executions" quota (Service Quotas, lambda L-B99A9384) of at least ${limit + stage.reservedConcurrency - Math.max(0, available)} in ${stage.region}, or lower reservedConcurrency / sweepConcurrency in stages/${stage.stage}.json`,
    };
  } catch (error) {
    return unknown(
      'lambda-concurrency',
      title,
      error,
      `run preflight with credentials of the security account ${stage.account} (--security-profile)`,
    );
  }
}
