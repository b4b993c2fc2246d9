import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { EC2Client } from '@aws-sdk/client-ec2';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { enabledRegions } from '@driftguard/aws';
import { names } from '../../../../infra/naming';
import { stackReservedConcurrency } from '../../../../infra/sizing';
import { stageFilePath, stagesDirectory, validateStageFile } from '../../../../infra/stages';
import { UsageError } from '../errors';
import { dim, green, red, yellow } from '../format';
import {
  type CheckResult,
  checkGuardDutyAdmin,
  checkLambdaConcurrency,
  checkOrganization,
  checkOrganizationTrail,
  checkStackSets,
  type PreflightStage,
} from './checks';

/** 0 ready · 1 something is missing · 2 usage (no such stage) · 3 a check could not run. */
export const PREFLIGHT_EXIT = { ready: 0, missing: 1, usage: 2, unchecked: 3 } as const;

export interface PreflightOptions {
  stage: string;
  /** AWS profile of the management account (Organizations, CloudTrail, GuardDuty); default: ambient credentials. */
  managementProfile?: string;
  /** AWS profile of the security account (Lambda quota, enabled regions); default: ambient credentials. */
  securityProfile?: string;
  /** Where stage files are (default stages/ beside sst.config.ts, or DRIFTGUARD_STAGES_DIR). */
  stagesDir?: string;
  json?: boolean;
  env?: { AWS_ENDPOINT_URL?: string };
  /** Explicit credentials instead of profiles (tests: moto accounts). */
  credentials?: { management?: AwsCredentialIdentity; security?: AwsCredentialIdentity };
  /** An Organizations client to use instead (tests: moto lacks the StackSets delegated administrator). */
  organizations?: OrganizationsClient;
  out?: NodeJS.WritableStream;
}

/**
 * `driftguard preflight --stage <stage>`: what the live organization must provide before the
 * stage's first deploy, checked read-only, each gap with the exact command that closes it.
 */
export async function preflight(options: PreflightOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const file = stageFilePath(options.stage, options.stagesDir ?? stagesDirectory());
  const shown = relative(process.cwd(), file) || file;
  if (!existsSync(file))
    throw new UsageError(`stage "${options.stage}": ${shown} does not exist (copy stages/prod.example.json)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${shown}: not valid JSON (${(error as Error).message})`);
  }
  const results: CheckResult[] = [];
  const validated = validateStageFile(raw);
  if (!validated.ok) {
    results.push({
      id: 'stage-file',
      title: `stage file ${shown}`,
      status: 'missing',
      detail: validated.problems.join('; '),
      fix: `edit ${shown}: ${validated.problems.join('; ')}`,
    });
    return report(results, options, out);
  }
  const settings = validated.settings;
  results.push({
    id: 'stage-file',
    title: `stage file ${shown}`,
    status: 'ok',
    detail: 'valid, no placeholders',
  });

  const endpoint = options.env?.AWS_ENDPOINT_URL ?? process.env.AWS_ENDPOINT_URL;
  const config = (
    profile: string | undefined,
    credentials: AwsCredentialIdentity | undefined,
    region: string,
  ) => ({
    region,
    ...(profile ? { profile } : {}),
    ...(credentials ? { credentials } : {}),
    ...(endpoint ? { endpoint } : {}),
  });
  const management = (region: string) =>
    config(options.managementProfile, options.credentials?.management, region);
  const security = config(options.securityProfile, options.credentials?.security, settings.region);

  // The Lambda check reads the security account: refuse to judge another account's quota.
  const identity = await new STSClient(security)
    .send(new GetCallerIdentityCommand({}))
    .catch((error: Error) => error);
  const securityOk = !(identity instanceof Error) && identity.Account === settings.account;
  let memberRegions = settings.memberRegions;
  if (!memberRegions && securityOk) {
    const enabled = await enabledRegions(new EC2Client(security)).catch(() => undefined);
    memberRegions = enabled?.filter((region) => !settings.excludedRegions.includes(region));
  }
  const stage: PreflightStage = {
    stage: options.stage,
    account: settings.account,
    region: settings.region,
    organizationId: settings.organizationId,
    stackSetsCallAs: settings.stackSetsCallAs,
    guardDutyFindings: settings.guardDutyFindings,
    memberRegions: memberRegions ?? [settings.region],
    reservedConcurrency: stackReservedConcurrency(settings),
    functionNames: (() => {
      const n = names(options.stage);
      return [n.function, n.sweepFunction, n.sweepWorkerFunction, n.exemptionExpiryFunction];
    })(),
  };

  // Organizations is global (us-east-1); CloudTrail is read where the stack lives.
  const organizations = options.organizations ?? new OrganizationsClient(management('us-east-1'));
  results.push(await checkOrganization(organizations, stage));
  results.push(...(await checkStackSets(organizations, stage)));
  results.push(await checkOrganizationTrail(new CloudTrailClient(management(settings.region))));
  results.push(...(await checkGuardDutyAdmin((region) => new GuardDutyClient(management(region)), stage)));
  results.push(
    securityOk
      ? await checkLambdaConcurrency(new LambdaClient(security), stage)
      : {
          id: 'lambda-concurrency',
          title: `Lambda concurrency for ${stage.reservedConcurrency} reserved`,
          status: 'unknown',
          detail:
            identity instanceof Error
              ? `${identity.name}: ${identity.message}`
              : `the security credentials are for account ${identity.Account}, not ${settings.account}`,
          fix: `run preflight with credentials of the security account ${settings.account} (--security-profile)`,
        },
  );
  return report(results, options, out);
}

function report(results: CheckResult[], options: PreflightOptions, out: NodeJS.WritableStream): number {
  const code = results.some((result) => result.status === 'missing')
    ? PREFLIGHT_EXIT.missing
    : results.some((result) => result.status === 'unknown')
      ? PREFLIGHT_EXIT.unchecked
      : PREFLIGHT_EXIT.ready;
  if (options.json) {
    out.write(`${JSON.stringify({ stage: options.stage, ready: code === 0, checks: results })}\n`);
    return code;
  }
  for (const result of results) {
    const mark = result.status === 'ok' ? green('✔') : result.status === 'missing' ? red('✘') : yellow('?');
    out.write(`${mark} ${result.title}: ${result.status === 'ok' ? dim(result.detail) : result.detail}\n`);
    if (result.fix) for (const line of result.fix.split('\n')) out.write(`    fix: ${line}\n`);
  }
  const missing = results.filter((result) => result.status === 'missing').length;
  const unchecked = results.filter((result) => result.status === 'unknown').length;
  out.write(
    code === 0
      ? green(`\nstage ${options.stage} is ready to deploy\n`)
      : `\n${missing ? red(`${missing} missing`) : ''}${missing && unchecked ? ', ' : ''}${unchecked ? yellow(`${unchecked} not checked`) : ''}: fix the above, then run preflight again\n`,
  );
  return code;
}
