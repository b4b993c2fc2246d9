import * as z from 'zod/mini';

/**
 * Settings of the identity-perimeter guardrails (shares, role trust, resource policies). Kept
 * beside config.ts so that file only names them; `mode` values are config.ts's MODES.
 */
const mode = z._default(z.enum(['revert', 'alert', 'ticket', 'shadow', 'off']), 'revert');
const accountId = z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id'));
/** A principal trusted by exact ARN; never "*". */
const trustedPrincipals = z._default(
  z.array(
    z.string().check(
      z.minLength(1),
      z.refine((value) => value !== '*', '"*" (everyone) cannot be trusted'),
    ),
  ),
  [],
);

export const publicSnapshotSchema = z.strictObject({
  mode,
  /**
   * Accounts outside the trust zone that snapshots and images may still be shared with (a backup
   * vendor, a customer receiving an AMI). Public sharing (`all`) is never allowed by this list.
   */
  allowedAccounts: z._default(z.array(accountId), []),
  /**
   * Snapshot ids, AMI ids or RDS snapshot identifiers that are deliberately public (a published
   * AMI). Anything else shared with `all` is a critical violation.
   */
  publicAllowed: z._default(z.array(z.string().check(z.minLength(1))), []),
});

export type PublicSnapshotConfig = z.output<typeof publicSnapshotSchema>;

export const iamRoleTrustSchema = z.strictObject({
  mode,
  /**
   * last-known-good (default): put back the last trust policy seen compliant, else remove the
   * offending statements. remove-statements: always remove exactly the offending statements.
   */
  restore: z._default(z.enum(['last-known-good', 'remove-statements']), 'last-known-good'),
  /** Principals outside the zone that may assume roles without sts:ExternalId (exact ARNs; never "*"). */
  trustedPrincipals,
});

export type IamRoleTrustConfig = z.output<typeof iamRoleTrustSchema>;

export const s3AccessPointPolicySchema = z.strictObject({
  /** Principals and network pins are read from rules.s3-bucket-policy: one reading for both doors. */
  mode,
});

export type S3AccessPointPolicyConfig = z.output<typeof s3AccessPointPolicySchema>;
export const resourcePolicySchema = z.strictObject({
  mode,
  /** Principals outside the zone that queue, topic, key, repository and secret policies may name (exact ARNs; never "*"). */
  trustedPrincipals,
  /** Count aws:SourceIp / aws:SourceVpc / aws:SourceVpce as pinning callers to the zone (as s3-bucket-policy). */
  networkConditionsPin: z._default(z.boolean(), false),
});

export type ResourcePolicyConfig = z.output<typeof resourcePolicySchema>;

export const lambdaPublicSchema = z.strictObject({
  mode,
  /**
   * Functions (names) whose function URL is deliberately public (a webhook receiver): AuthType NONE
   * and the `"*"` grant of lambda:InvokeFunctionUrl it needs are allowed for them, nothing else.
   */
  publicUrlAllowed: z._default(
    z.array(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a function name'))),
    [],
  ),
});

export type LambdaPublicConfig = z.output<typeof lambdaPublicSchema>;
