import * as z from 'zod/mini';
import type { Mode } from './config';
import { parseDuration } from './duration';

// config.ts imports this file, so MODES cannot be imported from it at run time: the list is
// repeated here and the two are checked against each other at compile time.
const ENFORCEMENT_MODES = ['revert', 'alert', 'ticket', 'shadow', 'off'] as const satisfies readonly Mode[];
type SameModes = Mode extends (typeof ENFORCEMENT_MODES)[number] ? true : never;
const sameModes: SameModes = true;
void sameModes;

const mode = z.enum(ENFORCEMENT_MODES);
const accountId = z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id'));
/** An organizational unit (ou-…) or the organization's root (r-…). */
export const OU_ID_PATTERN = /^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$/;
const ouId = z
  .string()
  .check(z.regex(OU_ID_PATTERN, 'must be an OU id such as ou-ab12-cd34ef56 (or the root id r-…)'));
const ruleId = z.string().check(z.regex(/^[a-z0-9-]+$/, 'must be a rule id such as sg-open-ingress'));

const duration = (max?: { ms: number; label: string }) =>
  z.string().check(
    z.superRefine((value, context) => {
      const parsed = parseDuration(value);
      if (!parsed.ok) context.addIssue({ code: 'custom', message: parsed.reason });
      else if (max && parsed.ms > max.ms)
        context.addIssue({ code: 'custom', message: `must be at most ${max.label}` });
    }),
  );

/**
 * A mode for some guardrails in some accounts. Exactly one of `accounts` / `organizationalUnits`;
 * without `rules` it applies to every guardrail. Most specific wins: an account override beats an
 * OU override, a nearer OU beats a parent OU, and at the same level an override naming the rule
 * beats one for every rule. Ties go to the override listed first.
 */
export const overrideSchema = z
  .strictObject({
    accounts: z.optional(z.array(accountId).check(z.minLength(1))),
    organizationalUnits: z.optional(z.array(ouId).check(z.minLength(1))),
    rules: z.optional(z.array(ruleId).check(z.minLength(1))),
    mode,
    /** Why the override exists (shown by `explain` and in alerts). */
    note: z.optional(z.string().check(z.maxLength(200))),
  })
  .check(
    z.refine((value) => (value.accounts === undefined) !== (value.organizationalUnits === undefined), {
      message: 'an override names either accounts or organizationalUnits (exactly one of them)',
    }),
  );
export type Override = z.output<typeof overrideSchema>;

/** An exact IAM role ARN (with its path, if any): what CloudTrail writes as the session's issuer. */
const exactRoleArn = z.string().check(
  z.refine((value) => !/[*?]/.test(value), {
    message:
      'must be an exact role ARN, without wildcards: anyone allowed to create a role could name one to match a pattern',
  }),
  z.refine((value) => /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(value), {
    message: 'must be an IAM role ARN such as arn:aws:iam::111122223333:role/terraform-apply',
  }),
);

/** A setting that no longer exists: a clear error instead of "unrecognized key". */
const removed = (message: string) => z.optional(z.unknown().check(z.refine(() => false, { message })));

export const infrastructureAsCodeSchema = z.strictObject({
  /**
   * The roles whose sessions are infrastructure as code, exactly: a Terraform or CDK pipeline's
   * deploy role, a CloudFormation stack's service role. Compared with the session issuer CloudTrail
   * records (an identity AWS authenticated), never with a name the caller chooses.
   */
  roleArns: z._default(z.array(exactRoleArn), []),
  /** What replaces `revert` for an infrastructure-as-code change (the next apply would fight it). */
  mode: z._default(mode, 'ticket'),
  /** The same, per guardrail: `{ "sg-open-ingress": "revert" }`. */
  rules: z._default(z.record(ruleId, mode), {}),
  /**
   * Guardrails whose *critical* violations by these roles also follow `mode`/`rules`. By default a
   * critical exposure (e.g. SSH open to the internet) is reverted whoever made it.
   */
  criticalFollowsMode: z._default(z.array(ruleId), []),
  cloudFormation: removed(
    'infrastructureAsCode.cloudFormation was removed: anyone can create a CloudFormation stack, so "made by CloudFormation" proves nothing. List the stacks\' service role ARNs in infrastructureAsCode.roleArns instead',
  ),
  roleArnPatterns: removed(
    'infrastructureAsCode.roleArnPatterns was removed: a pattern can be matched by naming a role. List exact role ARNs in infrastructureAsCode.roleArns instead',
  ),
});

export const exemptionsSchema = z.strictObject({
  /** Break-glass exemptions are off unless switched on. */
  enabled: z._default(z.boolean(), false),
  /** The longest an exemption may last, e.g. "8h" (at most 7 days: break-glass is short). */
  maxDuration: z._default(duration({ ms: 7 * 86_400_000, label: '7d' }), '8h'),
  /**
   * Who may approve, by IAM role or user ARN (`arn:aws:iam::111122223333:role/SecurityOncall`);
   * empty: any authenticated principal allowed to call the exemption API, other than the requester.
   */
  approvers: z._default(
    z.array(
      z
        .string()
        .check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/\S+$/, 'must be an IAM role or user ARN')),
    ),
    [],
  ),
  /**
   * Roles whose session names identify people, because no one holding the role can choose them
   * (IAM Identity Center permission-set roles: the session name is the user name). Sessions of
   * these roles count as distinct principals; sessions of any other role are one principal (whoever
   * holds a role picks the session name of each AssumeRole).
   */
  sessionPrincipalRoles: z._default(
    z.array(z.string().check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/, 'must be an IAM role ARN'))),
    [],
  ),
});

/**
 * The circuit breaker stops a fight with automation: only changes by the roles in
 * `infrastructureAsCode.roleArns` count and trip it; people and unknown actors are always reverted,
 * and critical exposures are reverted whoever made them.
 */
export const circuitBreakerSchema = z.strictObject({
  enabled: z._default(z.boolean(), true),
  /** After this many reverts of one resource by one rule within `window`, stop reverting it. */
  maxReverts: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(100)), 3),
  window: z._default(duration(), '30m'),
  /** The breaker closes again after this long without a violation of the resource. */
  quietPeriod: z._default(duration(), '1h'),
  /** The breaker closes this long after it opened, whatever happens meanwhile: reverting resumes. */
  maxOpen: z._default(duration({ ms: 24 * 3_600_000, label: '24h' }), '2h'),
});

/** The enforcement part of the config (merged into the top-level schema in config.ts). */
export const enforcementConfigShape = {
  /** Modes per account or OU; see overrideSchema. */
  overrides: z._default(z.array(overrideSchema), []),
  infrastructureAsCode: z.prefault(infrastructureAsCodeSchema, {}),
  exemptions: z.prefault(exemptionsSchema, {}),
  circuitBreaker: z.prefault(circuitBreakerSchema, {}),
};
