import * as z from 'zod';
import { enforcementConfigShape } from './enforcement-config';
import {
  iamRoleTrustSchema,
  lambdaPublicSchema,
  publicSnapshotSchema,
  resourcePolicySchema,
  s3AccessPointPolicySchema,
} from './exposure-config';
import { guarddutyFindingSchema } from './guardduty-config';
import { readCidr } from './net/cidr';
import { notificationsSchema } from './notifications-config';
import { parsePolicy } from './policy/document';

/** What driftguard does with a violation of a guardrail. */
export const MODES = ['revert', 'alert', 'ticket', 'shadow', 'off'] as const;
export type Mode = (typeof MODES)[number];

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
const securityGroupId = z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id (sg-…)');
const prefixListId = z.string().regex(/^pl-[0-9a-f]{8,17}$/, 'must be a prefix list id (pl-…)');
/** A CIDR in canonical form (see net/cidr.ts): a spelling parsers read differently is an error. */
const cidr = z.string().superRefine((value, context) => {
  const reading = readCidr(value);
  if (reading.ok) return;
  const write =
    reading.canonical.length > 0
      ? `write ${reading.canonical.map((text) => JSON.stringify(text)).join(' or ')}`
      : 'write a CIDR such as "10.0.0.0/8" or "fc00::/7"';
  context.addIssue({ code: 'custom', message: `${reading.reason}: ${write}` });
});
/** A port (22) or an inclusive range ("8000-8080"). */
const portSpec = z.union([
  z.number().int().min(0).max(65535),
  z
    .string()
    .regex(/^\d{1,5}-\d{1,5}$/, 'must be a port number or a range such as "8000-8080"')
    .refine((range) => {
      const [from, to] = range.split('-').map(Number);
      return from !== undefined && to !== undefined && from <= to && to <= 65535;
    }, 'range must go from low to high within 0-65535'),
]);
export type PortSpec = z.infer<typeof portSpec>;

/** RFC 1918, carrier-grade NAT (RFC 6598) and IPv6 unique local addresses. */
export const DEFAULT_TRUSTED_CIDRS = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  'fc00::/7',
] as const;

/**
 * Remote administration and data stores: opening one of these to the whole internet is how
 * ransomware crews and cryptominers get in, so such a rule is critical rather than high.
 */
export const DEFAULT_CRITICAL_PORTS = [
  22, 23, 135, 139, 445, 1433, 1521, 2375, 2376, 2379, 3306, 3389, 5432, 5900, 5985, 5986, 6379, 9200, 11211,
  27017,
] as const;

const mode = z.enum(MODES);

const sgOpenIngressSchema = z.strictObject({
  mode: mode.default('revert'),
  /** Security groups allowed to be open to any CIDR (e.g. a public load balancer's group). */
  allowedSecurityGroups: z.array(securityGroupId).default([]),
  /** Per security group, ports that may be open to any CIDR (e.g. 443 on a web tier). */
  allowedPorts: z.record(securityGroupId, z.array(portSpec)).default({}),
  /**
   * Managed prefix lists trusted as they are (e.g. an AWS-managed list a group should accept). Any
   * other customer-managed list's entries are read live and judged like CIDRs; an AWS-managed list
   * not named here is alerted on, never reverted.
   */
  trustedPrefixLists: z.array(prefixListId).default([]),
  criticalPorts: z.array(z.number().int().min(0).max(65535)).default([...DEFAULT_CRITICAL_PORTS]),
});

const vpcId = z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id (vpc-…)');
/** One side of a VPC peering: the VPC and the account that owns it. */
const peeringSide = z.strictObject({ account: accountId, vpc: vpcId });

const vpcPeeringSchema = z.strictObject({
  mode: mode.default('revert'),
  /**
   * Peerings that may exist, as pairs of sides; the order of a pair does not matter. Any other
   * peering is a violation (zero trust prefers PrivateLink endpoint services to joining networks).
   */
  allowedPeerings: z.array(z.tuple([peeringSide, peeringSide])).default([]),
});

const vpcEndpointServiceSchema = z.strictObject({
  mode: mode.default('revert'),
  /**
   * Principals outside the trust zone that may still be allowed on endpoint services (e.g. a
   * customer account of a SaaS offered over PrivateLink): principal ARNs or 12-digit account ids.
   * "*" can never be allowed here.
   */
  allowedPrincipals: z
    .array(
      z
        .string()
        .min(1)
        .refine((value) => value !== '*', '"*" (everyone) cannot be allowlisted'),
    )
    .default([]),
});

const defaultSgInUseSchema = z.strictObject({
  mode: mode.default('revert'),
});

const managedPrefixListSchema = z.strictObject({
  mode: mode.default('revert'),
});

/** A policy document as JSON text or as an object; kept as JSON text. */
const policyDocument = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .transform((value) => (typeof value === 'string' ? value : JSON.stringify(value)))
  .superRefine((text, context) => {
    const parsed = parsePolicy(text);
    if (!parsed.ok)
      context.addIssue({ code: 'custom', message: `must be a policy document: ${parsed.reason}` });
  });
/** A principal trusted by name (ARN, canonical user id, CloudFront OAI ARN); never "*". */
const trustedPrincipal = z
  .string()
  .min(1)
  .refine((value) => value !== '*', '"*" (everyone) cannot be trusted');

const s3BucketPolicySchema = z.strictObject({
  mode: mode.default('revert'),
  /**
   * remove-statements: take out exactly the offending statements (DeleteBucketPolicy when none
   * remain). last-known-good: put back the last compliant policy seen, else remove statements.
   */
  restore: z.enum(['remove-statements', 'last-known-good']).default('remove-statements'),
  /** Principals outside the zone that may still be granted (a CloudFront OAI, a partner role ARN). */
  trustedPrincipals: z.array(trustedPrincipal).default([]),
  /** Count aws:SourceIp / aws:SourceVpc / aws:SourceVpce as pinning "*" to the trust zone (default: no). */
  networkConditionsPin: z.boolean().default(false),
});

const s3PublicAccessBlockSchema = z.strictObject({
  mode: mode.default('revert'),
  /** Buckets that may turn public access block settings off (e.g. a deliberately public website). */
  allowedBuckets: z.array(z.string().min(3).max(63)).default([]),
});

const vpcEndpointPolicySchema = z.strictObject({
  mode: mode.default('revert'),
  /**
   * none: only open (any principal and any resource) or out-of-zone grants violate. identity /
   * resource / both: every Allow must also carry that data perimeter.
   */
  requirePerimeter: z.enum(['none', 'identity', 'resource', 'both']).default('none'),
  /** last-known-good: restore the last compliant policy when known, else the baseline. baseline: always the baseline. */
  restore: z.enum(['last-known-good', 'baseline']).default('last-known-good'),
  /** The policy a revert puts on; default: AWS's data-perimeter endpoint policy pinned to the organization. */
  baselinePolicy: policyDocument.optional(),
});

const driftguardIntegritySchema = z.strictObject({
  mode: mode.default('revert'),
});

/**
 * driftguard's own member-account footprint as infra deploys it (footprint.ts): what the integrity
 * guardrail and the sweep's integrity check compare live state with, and what their reverts restore.
 * Infra sets it; a value left unset means "cannot be checked exactly", and the guardrail alerts
 * instead of reverting.
 */
const footprintSchema = z.strictObject({
  /** Name prefix of the forwarding rules and the per-region forwarding roles (DEFAULT_FORWARDING_PREFIX). */
  forwardingPrefix: z
    .string()
    .regex(/^[A-Za-z0-9._-]{3,40}$/, 'must be 3-40 characters of letters, digits and ._-')
    .default('driftguard-forward-'),
  /** The central bus every forwarding rule targets. */
  centralBusArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._-]+$/, 'must be an event bus ARN')
    .optional(),
  /**
   * Whether member stacks forward their own GuardDuty findings (the stack's ForwardGuardDutyFindings,
   * set when the central account is not the GuardDuty administrator): their GuardDuty rule is expected.
   */
  forwardGuardDutyFindings: z.boolean().default(false),
  /** The member region whose stack instance creates the (global) remediation role. */
  roleRegion: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')
    .optional(),
});

export const configSchema = z.strictObject({
  /** Forces `shadow` everywhere: decide and notify, change nothing (the first week of a rollout). */
  dryRun: z.boolean().default(false),
  /**
   * The role driftguard assumes in member accounts (no path). Its sessions named
   * `driftguard-remediation`, at `arn:<partition>:iam::<the event's account>:role/<name>`, are
   * driftguard's own changes and never acted on (own-identity.ts).
   */
  remediationRoleName: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (no path)')
    .default('DriftGuardRemediation'),
  /**
   * The central function role's full ARN (set by infra): its sessions are driftguard's own, in
   * that role's account only.
   */
  centralRoleArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@-]{1,64}$/,
      'must be a role ARN without a path (arn:aws:iam::<account>:role/<name>)',
    )
    .optional(),
  /** Removed: a name proves nothing; see remediationRoleName and centralRoleArn. */
  ownRoleNames: z
    .never({
      error:
        'ownRoleNames was removed: driftguard recognises its own changes by exact role ARN (remediationRoleName in the event’s own account, centralRoleArn), never by name',
    })
    .optional(),
  footprint: footprintSchema.prefault({}),
  /** sts:ExternalId expected by the member role's trust policy. */
  externalId: z.string().min(2).optional(),
  trustedCidrs: z.array(cidr).default([...DEFAULT_TRUSTED_CIDRS]),
  trustedAccounts: z.array(accountId).default([]),
  /** The organization id (o-…); read from Organizations when not set. */
  organizationId: z
    .string()
    .regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization id such as o-a1b2c3d4e5')
    .optional(),
  rules: z
    .strictObject({
      'sg-open-ingress': sgOpenIngressSchema.prefault({}),
      'vpc-peering': vpcPeeringSchema.prefault({}),
      'vpc-endpoint-service': vpcEndpointServiceSchema.prefault({}),
      'default-sg-in-use': defaultSgInUseSchema.prefault({}),
      'managed-prefix-list': managedPrefixListSchema.prefault({}),
      'guardduty-finding': guarddutyFindingSchema.prefault({}),
      's3-bucket-policy': s3BucketPolicySchema.prefault({}),
      's3-public-access-block': s3PublicAccessBlockSchema.prefault({}),
      'vpc-endpoint-policy': vpcEndpointPolicySchema.prefault({}),
      'public-snapshot': publicSnapshotSchema.prefault({}),
      'iam-role-trust': iamRoleTrustSchema.prefault({}),
      's3-access-point-policy': s3AccessPointPolicySchema.prefault({}),
      'resource-policy': resourcePolicySchema.prefault({}),
      'lambda-public': lambdaPublicSchema.prefault({}),
      'driftguard-integrity': driftguardIntegritySchema.prefault({}),
    })
    .prefault({}),
  /** Which channels fire per rule and severity, ticket settings, delivery and audit retention. */
  notifications: notificationsSchema.prefault({}),
  /** Overrides per account/OU, infrastructure-as-code actors, exemptions, circuit breaker. */
  ...enforcementConfigShape,
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type SgOpenIngressConfig = Config['rules']['sg-open-ingress'];
export type VpcPeeringConfig = Config['rules']['vpc-peering'];
export type PeeringSide = z.output<typeof peeringSide>;
export type VpcEndpointServiceConfig = Config['rules']['vpc-endpoint-service'];
export type S3BucketPolicyConfig = Config['rules']['s3-bucket-policy'];
export type S3PublicAccessBlockConfig = Config['rules']['s3-public-access-block'];
export type VpcEndpointPolicyConfig = Config['rules']['vpc-endpoint-policy'];
export type FootprintConfig = Config['footprint'];

export type ConfigResult = { ok: true; config: Config } | { ok: false; reason: string };

/** Validates a config object (from JSON) and fills in the defaults. */
export function parseConfig(input: unknown): ConfigResult {
  const parsed = configSchema.safeParse(input ?? {});
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, reason: `invalid config:\n${z.prettifyError(parsed.error)}` };
}

/** The configuration with every default; what a fresh deployment runs with. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
