import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { type ConfigInput, configSchema, safeParseWithMessages } from '@driftguard/core';
import * as z from 'zod/mini';

/**
 * Where and how each stage is deployed: one JSON file per stage, `stages/<stage>.json`, kept by
 * the platform team outside the code (git-ignored; `stages/prod.example.json` is the committed
 * model, DEPLOY.md "Configure"). It is read both by `sst.config.ts` (provider region and account
 * pin) and by `infra/` (everything else), and validated here with errors that name the file and
 * the key.
 *
 * It must not use SST globals: `app()` in sst.config.ts imports it before they exist.
 */

/** The environment settings a stage may add for its channels (never secrets). */
export const CHANNEL_SETTINGS = ['JIRA_BASE_URL', 'JIRA_EMAIL', 'DRIFTGUARD_WEBHOOK_URL'] as const;
export type ChannelSetting = (typeof CHANNEL_SETTINGS)[number];

/** Where stage files live: `DRIFTGUARD_STAGES_DIR`, else `stages/` beside sst.config.ts. */
export function stagesDirectory(env: NodeJS.ProcessEnv = process.env, from = process.cwd()): string {
  if (env.DRIFTGUARD_STAGES_DIR) return env.DRIFTGUARD_STAGES_DIR;
  // SST runs from the project root or any folder below it: look upward for sst.config.ts.
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'sst.config.ts'))) return join(dir, 'stages');
    if (dirname(dir) === dir) return join(from, 'stages');
  }
}

const accountId = z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id'));
const region = z
  .string()
  .check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'));
const organizationalUnit = z
  .string()
  .check(
    z.regex(
      /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/,
      'must be an OU id (ou-…) or a root id (r-…)',
    ),
  );
/** A whole number, at least 2 (what SQS takes as an event source's maximum concurrency). */
const concurrency = z.number().check(z.int(), z.minimum(2));

/** The stage file, as the platform team writes it (stages/prod.example.json documents each key). */
export const stageFileSchema = z
  .strictObject({
    /** A pointer for editors; ignored. */
    $schema: z.optional(z.string()),
    /**
     * The security (audit) account the central stack lives in. The AWS provider refuses to run
     * with credentials for any other account (`allowedAccountIds`), so `--stage prod` cannot land
     * in a sandbox by mistake.
     */
    account: accountId,
    /** Region of the central bus, queue, functions, table and topic. */
    region,
    /** Production stages retain data on removal, protect the table and refuse `sst remove`. */
    production: z.boolean(),
    /** `o-…`: the only organization allowed to put events on the central bus and assume the role. */
    organizationId: z.string().check(z.regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization id (o-…)')),
    /** OU ids (`ou-…`) or the root (`r-…`) the member StackSet deploys to; new accounts follow. */
    targetOrganizationalUnits: z.array(organizationalUnit).check(z.minLength(1)),
    /**
     * Regions whose default buses forward to the central bus (and that the sweep covers). Omitted:
     * every region enabled in the deploying account, discovered at deploy time, minus
     * `excludedRegions` (deny the rest with the SCP in DEPLOY.md).
     */
    memberRegions: z.optional(z.array(region).check(z.minLength(1))),
    /** Regions left out of the discovered list (e.g. denied by an SCP). */
    excludedRegions: z._default(z.array(region), []),
    /** The member region that holds the (global) IAM remediation role; default `region`. */
    roleRegion: z.optional(region),
    /**
     * How the stack set is administered: `DELEGATED_ADMIN` when the central stack lives in the
     * security account registered as a StackSets delegated administrator (the default and the
     * recommendation), `SELF` when it lives in the management account.
     */
    stackSetsCallAs: z._default(z.enum(['DELEGATED_ADMIN', 'SELF']), 'DELEGATED_ADMIN'),
    /**
     * The organization's management account, which service-managed StackSets never target. With
     * `account`, the same deployment creates the member stack there in every member region,
     * through `roleName` (a role the deployer may assume there, DEPLOY.md step 5). `"uncovered"`
     * is an explicit, documented choice to leave it out.
     */
    managementAccount: z.union([
      z.strictObject({
        account: accountId,
        roleName: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
      }),
      z.literal('uncovered'),
    ]),
    /**
     * Where GuardDuty findings are forwarded from. `central-account`: the security account is the
     * GuardDuty delegated administrator, so every member's findings reach its default bus, region
     * by region; the central stack forwards them from each member region (recommended).
     * `member-accounts`: each member forwards its own findings (deduped on id + updatedAt). `off`.
     */
    guardDutyFindings: z.enum(['central-account', 'member-accounts', 'off']),
    /**
     * Lambda reserved concurrency for `evaluate`; also the SQS event source's maximum concurrency,
     * so a burst of events never throttles the function into retries. SQS needs at least 2.
     */
    reservedConcurrency: concurrency,
    /**
     * Sweep units worked at once: the sweep worker's reserved concurrency and its SQS event
     * source's maximum concurrency (default 20, infra/sizing.ts). README, "The sweep at
     * organization scale", gives the wall time it buys.
     */
    sweepConcurrency: z.optional(concurrency),
    /** How often the sweep re-reads live state everywhere (EventBridge Scheduler expression). */
    sweepSchedule: z.optional(
      z.string().check(z.regex(/^(rate|cron)\(.+\)$/, 'must be rate(…) or cron(…)')),
    ) as z.ZodMiniOptional<z.ZodMiniType<`rate(${string})` | `cron(${string})`>>,
    /**
     * Non-secret channel settings the functions read from their environment
     * (packages/aws/src/channels.ts). Secrets never go here: they are SST secrets (infra/secrets.ts).
     */
    channelSettings: z.optional(z.partialRecord(z.enum(CHANNEL_SETTINGS), z.string())),
    /**
     * The driftguard config (packages/core/src/config.ts) the first deploy publishes; later changes
     * go through `driftguard config publish` without a deploy. The external id is not here: the
     * deployment generates it per organization.
     */
    config: z._default(z.custom<ConfigInput>(), {}),
  })
  .check((ctx) => {
    const settings = ctx.value;
    const roleRegion = settings.roleRegion ?? settings.region;
    if (settings.memberRegions && !settings.memberRegions.includes(roleRegion)) {
      ctx.issues.push({
        code: 'custom',
        input: settings.memberRegions,
        path: ['memberRegions'],
        message: `must include the role region ${roleRegion}, or no member gets the role`,
      });
    }
    if (settings.excludedRegions.includes(roleRegion)) {
      ctx.issues.push({
        code: 'custom',
        input: settings.excludedRegions,
        path: ['excludedRegions'],
        message: `must not exclude the role region ${roleRegion}`,
      });
    }
    const config = safeParseWithMessages(configSchema, settings.config);
    if (!config.success) {
      for (const issue of config.error.issues)
        ctx.issues.push({ ...issue, path: ['config', ...issue.path] } as (typeof ctx.issues)[number]);
    } else if (config.data.externalId !== undefined) {
      ctx.issues.push({
        code: 'custom',
        input: settings.config,
        path: ['config', 'externalId'],
        message: 'is generated per organization by the deployment: remove it',
      });
    }
  });

export type StageFile = z.input<typeof stageFileSchema>;
type ParsedStageFile = z.output<typeof stageFileSchema>;

/** A stage as infra/ uses it: the file, with the member regions resolved. */
export interface StageSettings extends Omit<ParsedStageFile, 'memberRegions' | '$schema'> {
  memberRegions: string[];
}

/**
 * Values copied from examples that would deploy something meaningless (or someone else's): the
 * documentation's accounts, organization and OU ids, and "change me" markers.
 */
const PLACEHOLDER_PATTERNS: readonly RegExp[] = [
  /^(\d)\1{11}$/, // 111111111111, 222222222222, 000000000000
  /^123456789012$/,
  /exampleorg|o-example|\bexmp\b|-exmp-|^r-exmp/i,
  /change-?me|replace-?me|<[a-z_ -]+>/i,
];

function placeholderIssues(value: unknown, path: (string | number)[] = []): string[] {
  if (typeof value === 'string') {
    return PLACEHOLDER_PATTERNS.some((pattern) => pattern.test(value))
      ? [`${formatPath(path)}: "${value}" is a placeholder from the example; put your own value`]
      : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => placeholderIssues(item, [...path, index]));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([key, inner]) => placeholderIssues(inner, [...path, key]));
  return [];
}

const formatPath = (path: readonly PropertyKey[]): string =>
  path.length === 0
    ? '(file)'
    : path
        .map((part, index) =>
          typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
        )
        .join('');

export type StageFileResult = { ok: true; settings: ParsedStageFile } | { ok: false; problems: string[] };

/** Validates a parsed stage file: schema first, then placeholders. Each problem names its key. */
export function validateStageFile(input: unknown): StageFileResult {
  const parsed = safeParseWithMessages(stageFileSchema, input);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
    };
  }
  const placeholders = placeholderIssues(input);
  if (placeholders.length > 0) return { ok: false, problems: placeholders };
  return { ok: true, settings: parsed.data };
}

export class StageFileError extends Error {}

export function stageFilePath(stage: string, dir = stagesDirectory()): string {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(stage)) {
    throw new StageFileError(`stage "${stage}": stage names are lowercase letters, digits and dashes`);
  }
  return join(dir, `${stage}.json`);
}

/**
 * Reads and validates `stages/<stage>.json`. An unknown stage (no file) is an error: a typo in
 * `--stage` must never deploy defaults into whatever account the credentials point at.
 */
export function loadStageFile(stage: string, dir = stagesDirectory()): ParsedStageFile {
  const file = stageFilePath(stage, dir);
  const shown = relative(process.cwd(), file) || file;
  if (!existsSync(file)) {
    throw new StageFileError(
      `stage "${stage}": ${shown} does not exist. Copy stages/prod.example.json to ${shown} and fill it in (DEPLOY.md, "Configure").`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StageFileError(`${shown}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const result = validateStageFile(raw);
  if (!result.ok) throw new StageFileError(`${shown}:\n- ${result.problems.join('\n- ')}`);
  return result.settings;
}

/**
 * The member regions of a stage: the file's list, else every region enabled in the deploying
 * account (`enabledRegions`, discovered at deploy time) minus `excludedRegions`, role region first.
 */
export function resolveStage(file: ParsedStageFile, enabledRegions: readonly string[]): StageSettings {
  const { $schema: _ignored, memberRegions, ...rest } = file;
  const roleRegion = file.roleRegion ?? file.region;
  const regions = (memberRegions ?? enabledRegions).filter((name) => !file.excludedRegions.includes(name));
  if (!regions.includes(roleRegion)) {
    throw new StageFileError(
      `the role region ${roleRegion} is not among the member regions (${regions.join(', ')}): enable it or set roleRegion`,
    );
  }
  return {
    ...rest,
    memberRegions: [roleRegion, ...[...new Set(regions)].filter((r) => r !== roleRegion).sort()],
  };
}

/**
 * What `sst install` (and so `npm run typecheck:infra` on a fresh clone, `SST_STAGE=ci`) sees:
 * SST evaluates `app()` to learn the providers, before any stage file can exist. Only with this
 * variable set does a missing stage file give a stand-in app, which is protected and retains
 * everything, and whose `run()` refuses to deploy (infra/index.ts loads the file strictly).
 */
export const INSTALL_ONLY_ENV = 'DRIFTGUARD_SST_INSTALL_ONLY';

export interface AppSettings {
  region: string;
  account?: string;
  production: boolean;
}

export function appSettings(stage: string, env: NodeJS.ProcessEnv = process.env): AppSettings {
  const dir = stagesDirectory(env);
  if (env[INSTALL_ONLY_ENV] === '1' && !existsSync(stageFilePath(stage, dir))) {
    return { region: 'us-east-1', production: true };
  }
  const file = loadStageFile(stage, dir);
  return { region: file.region, account: file.account, production: file.production };
}
